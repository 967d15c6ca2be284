package io.github.vertxsaga.platform.http;

import static io.github.vertxsaga.platform.testing.Eventually.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisplayName("Request targets that cannot be decoded")
class RequestTargetsTest {
  private Vertx vertx;
  private HttpServer server;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    Router router = Router.router(vertx);
    router.route().handler(RequestTargets::requireDecodable);
    router.get("/items/:id").handler(ctx -> ctx.response().end(ctx.pathParam("id") + " " + ctx.queryParams()));
    router.route().failureHandler(Problems::handleFailure);
    server = result(vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
  }

  @AfterEach
  void stop() {
    result(vertx.close());
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      "/items/%ZZ, 400",
      "/items/%4, 400",
      "/items/a?%ZZ, 400",
      "/items/a?x=%G1, 400",
      "/items/%41, 200",
      "/items/a?x=%41, 200"})
  @DisplayName("is answered 400 before routing; a decodable one is routed")
  void answered(String target, int status) throws IOException {
    assertThat(statusOf(target)).isEqualTo(status);
  }

  /** Sent over a plain socket: HTTP clients refuse to send such targets at all. */
  private int statusOf(String target) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", server.actualPort())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(("GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      String line = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
      return Integer.parseInt(line.substring(9, 12));
    }
  }
}
