package io.github.vertxsaga.systemtests.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.events.Addresses;
import io.github.vertxsaga.platform.testing.Eventually;
import io.github.vertxsaga.platform.testing.TestDatabases;
import io.github.vertxsaga.systemtests.Http;
import io.github.vertxsaga.systemtests.InJvmSystem;
import io.github.vertxsaga.systemtests.User;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The dashboard's stream on a real gateway: a browser that does not read cannot make the gateway buffer for it. */
@DisplayName("The dashboard stream is bounded per browser")
class DashboardStreamTest {
  private static final int NOTES = 4_000;
  private static final String FILLER = "x".repeat(4_096);
  /** The gateway's write queue (256 KiB) and the sockets' buffers, with room to spare; far below the 16 MB sent. */
  private static final long MOST_BUFFERED = 12L * 1024 * 1024;
  private static final Pattern DROPPED = Pattern.compile("event: dropped\ndata: \\{\"dropped\":(\\d+)}");

  private static InJvmSystem system;

  @BeforeAll
  static void start() {
    system = InJvmSystem.on(TestDatabases.Kind.H2).named("dashboard-stream").withGateway().start();
  }

  @AfterAll
  static void stop() {
    system.close();
  }

  @Test
  @DisplayName("a browser that stops reading is dropped events and told how many, while a reading one gets them all")
  void slowBrowserIsDroppedNotBuffered() throws Exception {
    URI stream = system.gateway("/api/admin/dashboard/stream");
    try (Socket stalled = new Socket()) {
      stalled.setReceiveBufferSize(4_096);
      stalled.connect(new java.net.InetSocketAddress(stream.getHost(), stream.getPort()));
      OutputStream out = stalled.getOutputStream();
      out.write(("GET " + stream.getPath() + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
          + "Authorization: Bearer " + User.ADMIN.token() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();

      // A reader that keeps up: when it has seen the last note, the gateway has written (or dropped) every one.
      AtomicBoolean lastSeen = new AtomicBoolean();
      HttpClient client = HttpClient.newHttpClient();
      HttpResponse<Stream<String>> reading = client.send(HttpRequest.newBuilder(stream)
          .header("Authorization", "Bearer " + User.ADMIN.token()).build(), HttpResponse.BodyHandlers.ofLines());
      assertThat(reading.statusCode()).isEqualTo(200);
      Thread reader = new Thread(() -> reading.body().filter(line -> line.contains("\"order\":\"last-note\""))
          .findFirst().ifPresent(line -> lastSeen.set(true)), "dashboard-reader");
      reader.setDaemon(true);
      reader.start();

      Vertx service = system.orderServiceHost().node().vertx();
      for (int i = 0; i < NOTES; i++) {
        service.eventBus().publish(Addresses.OBSERVATIONS, note("note-" + i));
      }
      service.eventBus().publish(Addresses.OBSERVATIONS, note("last-note"));
      Eventually.until("the reading browser got the last note", Duration.ofSeconds(60), lastSeen::get);

      InputStream in = stalled.getInputStream();
      StringBuilder text = new StringBuilder();
      byte[] chunk = new byte[64 * 1024];
      long read = 0;
      Matcher dropped = null;
      while (read < 2 * MOST_BUFFERED) {
        int n = in.read(chunk);
        if (n < 0) {
          break;
        }
        read += n;
        text.append(new String(chunk, 0, n, StandardCharsets.ISO_8859_1));
        Matcher matcher = DROPPED.matcher(text);
        if (matcher.find()) {
          dropped = matcher;
          break;
        }
        if (text.length() > 64 * 1024) {
          text.delete(0, text.length() - 1_024);
        }
      }
      System.out.printf("the stalled browser read %d bytes of %d sent before its notice%n", read,
          (long) NOTES * FILLER.length());
      assertThat(dropped).as("a 'dropped' notice once the stalled browser reads again").isNotNull();
      assertThat(Long.parseLong(dropped.group(1))).as("events dropped").isPositive();
      assertThat(read).as("bytes the gateway had buffered or sent for the stalled browser").isLessThan(MOST_BUFFERED);
    }
  }

  @Test
  @DisplayName("the stream answers an anonymous caller 401 and a customer 403, as problem+json")
  void onlyAnAdminGetsTheStream() {
    var anonymous = Http.anonymous().get(system.gateway("/api/admin/dashboard/stream"));
    assertThat(anonymous.status()).isEqualTo(401);
    assertThat(anonymous.header("Content-Type")).startsWith("application/problem+json");
    var customer = Http.as(User.ALICE).get(system.gateway("/api/admin/dashboard/stream"));
    assertThat(customer.status()).isEqualTo(403);
    assertThat(customer.header("Content-Type")).startsWith("application/problem+json");
  }

  private static JsonObject note(String order) {
    return new JsonObject().put("kind", "delivered").put("type", "OrderPlaced").put("order", order)
        .put("service", "order-service").put("outcome", FILLER).put("at", System.currentTimeMillis()).put("lagMs", 0);
  }
}
