package io.github.vertxsaga.platform.cluster;

import static io.github.vertxsaga.platform.testing.Eventually.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.github.vertxsaga.platform.config.ClusterSettings;
import io.github.vertxsaga.platform.testing.TestCertificates;
import io.github.vertxsaga.platform.tls.NodeCredentials;
import io.github.vertxsaga.platform.tls.TlsSettings;
import io.netty.handler.ssl.OpenSslSession;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A node's sockets run on Netty's native epoll transport and its TLS on OpenSSL where they load, on NIO "
    + "and the JDK's engine elsewhere")
class NativeTransportTest {

  @Test
  @DisplayName("on Linux x86-64 a node joins and serves HTTP over TLS on epoll, the TLS in OpenSSL")
  void epollOnLinux() throws Exception {
    assumeThat(System.getProperty("os.name")).isEqualToIgnoringCase("Linux");
    assumeThat(System.getProperty("os.arch")).isIn("amd64", "x86_64");
    TlsSettings tls = TestCertificates.settings("inventory-service");
    ClusterNode node = ClusterNode.start(settings(tls), NodeCredentials.load("inventory-service", tls))
        .await(90, TimeUnit.SECONDS);
    try {
      assertThat(node.vertx().isNativeTransportEnabled()).isTrue();
      assertThat(ClusterNode.transport(node.vertx())).isEqualTo("epoll");
      assertThat(NodeCredentials.engine()).startsWith("openssl");
      // And it carries traffic: a TLS server and a client of the node's own Vert.x, on the native sockets.
      NodeCredentials credentials = node.credentials();
      HttpServer server = result(node.vertx().createHttpServer(credentials.applyTo(new HttpServerOptions()
              .setHost("127.0.0.1").setPort(0)))
          .requestHandler(request -> request.response().end("over " + ClusterNode.transport(node.vertx())
              + (request.sslSession() instanceof OpenSslSession ? " in openssl" : " in " + request.sslSession())))
          .listen());
      var client = node.vertx().createHttpClient(credentials.applyTo(new HttpClientOptions()));
      RequestOptions get = new RequestOptions().setMethod(HttpMethod.GET)
          .setServer(SocketAddress.inetSocketAddress(server.actualPort(), "127.0.0.1"))
          .setHost("inventory-service").setPort(server.actualPort()).setURI("/");
      String body = result(client.request(get).compose(request -> request.send())
          .compose(response -> response.body())).toString(StandardCharsets.UTF_8);
      assertThat(body).isEqualTo("over epoll in openssl");
    } finally {
      result(node.vertx().close());
    }
  }

  @Test
  @DisplayName("where the native libraries cannot load, the node still starts, on NIO and the JDK's TLS, and says why")
  void nioWhereEpollCannotLoad() throws Exception {
    // A JVM of its own: Netty decides once per JVM whether epoll is available. noNative stands for a platform
    // without the library (macOS, another CPU): Netty then refuses to load it, as it would fail to there.
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process process = new ProcessBuilder(java.toString(), "-Dio.netty.transport.noNative=true",
        "-Dio.netty.handler.ssl.noOpenSsl=true",
        "-cp", System.getProperty("java.class.path"), TransportProbe.class.getName(), String.valueOf(freePort()))
        .redirectErrorStream(true)
        .start();
    String output;
    try {
      assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("the probe JVM exits").isTrue();
      output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    } finally {
      process.destroyForcibly();
    }
    assertThat(process.exitValue()).as(output).isZero();
    assertThat(output).contains("transport=nio (native transport unavailable:").contains("noNative");
    assertThat(output).contains("tls=jdk (OpenSSL unavailable:").contains("noOpenSsl");
  }

  static ClusterSettings settings(TlsSettings tls) throws IOException {
    int port = freePort();
    return new ClusterSettings("transport-" + UUID.randomUUID(), "127.0.0.1", port, List.of("127.0.0.1:" + port), tls);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** Joins a cluster of one, TLS off, prints the transport in use and leaves. */
  public static final class TransportProbe {
    public static void main(String[] args) throws Exception {
      int port = Integer.parseInt(args[0]);
      ClusterSettings settings = new ClusterSettings("transport-probe-" + UUID.randomUUID(), "127.0.0.1", port,
          List.of("127.0.0.1:" + port), TlsSettings.OFF);
      ClusterNode node = ClusterNode.start(settings, NodeCredentials.load("probe", TlsSettings.OFF))
          .await(90, TimeUnit.SECONDS);
      System.out.println("transport=" + ClusterNode.transport(node.vertx()));
      System.out.println("tls=" + NodeCredentials.engine());
      node.vertx().close().await(30, TimeUnit.SECONDS);
      System.exit(0);
    }
  }
}
