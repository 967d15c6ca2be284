package io.github.vertxsaga.platform.outbox;

import static io.github.vertxsaga.platform.testing.Eventually.result;
import static io.github.vertxsaga.platform.testing.Eventually.until;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.events.Addresses;
import io.github.vertxsaga.events.EventEnvelope;
import io.github.vertxsaga.platform.db.Database;
import io.github.vertxsaga.platform.db.DatabaseSettings;
import io.github.vertxsaga.platform.testing.TestDatabases.Kind;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.h2.tools.Server;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The consuming service's own database goes away while the producer's relay keeps delivering: a real H2 server, in
 * TCP mode, stopped under the consumer and started again. Each service owns its database, so one can be down while
 * the other's is up.
 */
class ConsumerDatabaseOutageTest extends OnEveryDatabase {
  private static final String CONSUMER = "outage-test";

  private Server server;
  private Database consumerDatabase;

  @AfterEach
  void closeConsumerSide() {
    if (consumerDatabase != null) {
      consumerDatabase.close();
    }
    if (server != null) {
      server.stop();
    }
  }

  @ParameterizedTest(name = "relay on {0}")
  @MethodSource("databases")
  @DisplayName("while the consumer's database is down its events are answered 'unavailable' and never parked, "
      + "however many attempts; once it is back each is applied once")
  void consumerDatabaseOutageParksNothing(Kind kind, Vertx vertx) throws Exception {
    bed = OutboxBed.open(vertx, kind, "outage");
    Path dir = Files.createTempDirectory("saga-h2-server-");
    int port = freePort();
    server = startServer(dir, port);
    consumerDatabase = result(Database.open(vertx, new DatabaseSettings("jdbc:h2:tcp://127.0.0.1:" + port
        + "/consumer;MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH", "sa", "", 4), CONSUMER,
        "classpath:db/migration/platform"));
    result(consumerDatabase.inTransaction(c -> {
      try (Statement s = c.createStatement()) {
        s.execute("CREATE TABLE applied (event_id VARCHAR(64) PRIMARY KEY)");
      }
      return null;
    }));
    TransactionalOutbox consumerOutbox = new TransactionalOutbox(vertx, consumerDatabase, CONSUMER);
    EventHandler handler = (envelope, payload, c, events) -> {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO applied (event_id) VALUES (?)")) {
        ps.setString(1, envelope.id());
        ps.executeUpdate();
      }
    };
    result(vertx.deployVerticle(new InboxConsumer(CONSUMER, Addresses.INVENTORY_EVENTS, consumerOutbox, handler,
        "")));

    server.stop();
    // One counted failure would park an event at once.
    bed.startRelay(OutboxBed.fastSettings(1));
    List<EventEnvelope> sent = List.of(bed.emit("order-outage-a", 1), bed.emit("order-outage-a", 2),
        bed.emit("order-outage-b", 1));

    until("every event has been answered 'unavailable' at least three times", Duration.ofSeconds(60),
        () -> sent.stream().allMatch(e -> bed.row(e).attempts() >= 3 || bed.row(e).dead()));
    for (EventEnvelope event : sent) {
      OutboxBed.Row row = bed.row(event);
      assertThat(row.dead()).as("parked while the consumer's database was down: " + row).isFalse();
      assertThat(row.delivered()).as(event.logLine()).isFalse();
      assertThat(row.failures()).as("counted failures of " + event.logLine()).isZero();
    }
    assertThat(bed.row(sent.get(0)).lastError()).contains("database unavailable");

    server = startServer(dir, port);
    until("every event is delivered once the database is back", Duration.ofSeconds(30),
        () -> sent.stream().allMatch(e -> bed.row(e).delivered()));
    for (EventEnvelope event : sent) {
      assertThat(bed.row(event).failures()).isZero();
      assertThat(appliedCount(event)).as("effects of " + event.logLine()).isOne();
    }
  }

  private long appliedCount(EventEnvelope event) {
    return result(consumerDatabase.read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM applied WHERE event_id = ?")) {
        ps.setString(1, event.id());
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return rs.getLong(1);
        }
      }
    }));
  }

  private static Server startServer(Path dir, int port) throws SQLException {
    return Server.createTcpServer("-tcpPort", String.valueOf(port), "-baseDir", dir.toString(), "-ifNotExists")
        .start();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
