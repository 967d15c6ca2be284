package io.github.vertxsaga.systemtests.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.events.Addresses;
import io.github.vertxsaga.events.EventEnvelope;
import io.github.vertxsaga.events.EventEnvelopeCodec;
import io.github.vertxsaga.events.LineItem;
import io.github.vertxsaga.events.Payloads;
import io.github.vertxsaga.platform.cluster.ClusterNode;
import io.github.vertxsaga.platform.config.ClusterSettings;
import io.github.vertxsaga.platform.config.Env;
import io.github.vertxsaga.platform.db.DatabaseSettings;
import io.github.vertxsaga.platform.testing.TestCertificates;
import io.github.vertxsaga.platform.testing.TestDatabases;
import io.github.vertxsaga.platform.tls.NodeCredentials;
import io.github.vertxsaga.systemtests.Http;
import io.github.vertxsaga.systemtests.User;
import io.github.vertxsaga.systemtests.process.ProcessCluster;
import io.github.vertxsaga.systemtests.process.Service;
import io.github.vertxsaga.systemtests.process.ServiceProcess;
import io.github.vertxsaga.systemtests.process.Topology;
import io.vertx.core.eventbus.DeliveryOptions;
import java.io.BufferedReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The dashboard in a real browser (Debian's headless Chromium driven by playwright-core, dashboard.mjs) against real
 * processes: two inventory-services, an order-service and a gateway. The script does what an operator does in the
 * page and asks this JVM, line by line on its stdin and stdout, for what only a test can do: park an event, repair
 * its cause, restart the gateway, kill -9 an inventory-service. Screenshots of each step go to
 * {@code target/dashboard/}.
 *
 * <p>The parked event is the one AlertsFireIT makes: an OrderPlaced that order-service never took, handed to inventory
 * by this JVM's own member; order-service refuses inventory's answer until inventory parks it (after 2 failures).
 */
@DisplayName("The dashboard in a real browser")
class DashboardBrowserIT {
  private static final Duration SCRIPT = Duration.ofMinutes(4);
  private static final String ADMIN_PASSWORD = "admin-pw";
  private static final String ALICE_PASSWORD = "alice-pw";

  @RegisterExtension
  final ProcessCluster cluster = new ProcessCluster();

  @Test
  @DisplayName("an admin sees the saga confirm and cancel live, parks and requeues an event, and the page survives a "
      + "gateway restart and the loss of an inventory instance")
  void operatorWatchesTheSystem() throws Exception {
    Path node = BrowserTools.require();
    Path orderFiles = Files.createTempDirectory("dashboard-it-order-");
    Topology topology = Topology.of(cluster)
        .database(Service.INVENTORY, sharedInventoryDatabase(orderFiles))
        .inventory("inventory-1", Map.of("OUTBOX_MAX_FAILURES", "2"))
        .inventory("inventory-2", Map.of("OUTBOX_MAX_FAILURES", "2"))
        .order("order", Map.of("DB_URL",
            "jdbc:h2:file:" + orderFiles.resolve("order") + ";AUTO_SERVER=TRUE;DB_CLOSE_ON_EXIT=TRUE"))
        .gateway("gateway", Map.of("BREAKER_MAX_FAILURES", "2"))
        .start();
    ServiceProcess gateway = topology.gateway();
    refusesAllButAnAdmin(gateway);

    Path shots = Service.projectRoot().resolve("system-tests/target/dashboard");
    ClusterNode member = joinCluster();
    Process script = new ProcessBuilder(node.toString(), "dashboard.mjs", gateway.uri("").toString(),
        User.ADMIN.userName(), ADMIN_PASSWORD, User.ALICE.userName(), ALICE_PASSWORD, shots.toString())
        .directory(BrowserTools.scripts().toFile()).redirectErrorStream(true).start();
    List<String> output = new ArrayList<>();
    try (BufferedReader out = script.inputReader(StandardCharsets.UTF_8);
         PrintWriter in = new PrintWriter(script.outputWriter(StandardCharsets.UTF_8), true)) {
      long deadline = System.nanoTime() + SCRIPT.toNanos();
      String line;
      while (System.nanoTime() < deadline && (line = out.readLine()) != null) {
        System.out.println("[dashboard.mjs] " + line);
        output.add(line);
        if (line.startsWith("ASK ")) {
          in.println("DONE " + line.substring(4) + " " + answer(line.substring(4), topology, member, orderFiles));
        }
      }
    } finally {
      if (!script.waitFor(30, TimeUnit.SECONDS)) {
        script.destroyForcibly();
      }
      member.vertx().close().await(30, TimeUnit.SECONDS);
    }
    assertThat(script.exitValue()).as("dashboard.mjs:\n" + String.join("\n", output)).isZero();
    assertThat(output).contains("PASSED: every step seen in the browser");
  }

  /**
   * The two inventory-services' one database: a fresh PostgreSQL database when the run has a server (bin/test), else
   * an H2 file both open through H2's automatic mixed mode (the first to open it serves it to the other, which takes
   * over when the first dies).
   */
  private DatabaseSettings sharedInventoryDatabase(Path folder) {
    if (TestDatabases.available().contains(TestDatabases.Kind.POSTGRES)) {
      DatabaseSettings db = TestDatabases.fresh(TestDatabases.Kind.POSTGRES, "dashboard_inventory");
      cluster.onClose(() -> TestDatabases.drop(db));
      return db;
    }
    return new DatabaseSettings("jdbc:h2:file:" + folder.resolve("inventory") + ";AUTO_SERVER=TRUE;DB_CLOSE_ON_EXIT=TRUE",
        "sa", "", 8);
  }

  /** The stream is the admin's: anonymous and customer requests get problem+json, no event. */
  private static void refusesAllButAnAdmin(ServiceProcess gateway) {
    Http.Reply anonymous = Http.anonymous().get(gateway.uri("/api/admin/dashboard/stream"));
    assertThat(anonymous.status()).isEqualTo(401);
    assertThat(anonymous.header("Content-Type")).startsWith("application/problem+json");
    Http.Reply customer = Http.as(User.ALICE).get(gateway.uri("/api/admin/dashboard/stream"));
    assertThat(customer.status()).isEqualTo(403);
    assertThat(customer.header("Content-Type")).startsWith("application/problem+json");
    assertThat(Http.anonymous().get(gateway.uri("/dashboard/")).status()).isEqualTo(200);
  }

  private String answer(String what, Topology topology, ClusterNode member, Path orderFiles) throws Exception {
    if (what.equals("park-event")) {
      String orderId = UUID.randomUUID().toString();
      EventEnvelope placed = EventEnvelope.wrap(new Payloads.OrderPlaced(orderId, User.ALICE.userName(),
          List.of(new LineItem("dashboard-it-unknown-sku", 1))), 1, Instant.now());
      String outcome = member.vertx().eventBus().<String>request(Addresses.INVENTORY_EVENTS, placed,
          new DeliveryOptions().setSendTimeout(30_000)).await(40, TimeUnit.SECONDS).body();
      assertThat(outcome).as("inventory applies the OrderPlaced").isEqualTo("applied");
      return orderId;
    }
    if (what.startsWith("repair ")) {
      createMissingOrder(topology.orders().get(0), what.substring("repair ".length()));
      return "";
    }
    if (what.equals("restart-gateway")) {
      ServiceProcess gateway = topology.gateway();
      gateway.kill();
      assertThat(gateway.awaitExit(Duration.ofSeconds(60))).isTrue();
      topology.restart(gateway);
      return "";
    }
    if (what.equals("kill-inventory")) {
      ServiceProcess victim = topology.inventories().get(1);
      victim.kill();
      assertThat(victim.awaitExit(Duration.ofSeconds(60))).isTrue();
      return Service.INVENTORY.serviceName() + "@" + ProcessCluster.HOST + ":" + victim.httpPort();
    }
    throw new AssertionError("dashboard.mjs asked for " + what);
  }

  /** The operator's repair of the parked answer: the order it is about now exists, PENDING. */
  private static void createMissingOrder(ServiceProcess order, String orderId) throws Exception {
    DatabaseSettings db = DatabaseSettings.from(new Env(order.environment()), Service.ORDER.serviceName());
    long now = System.currentTimeMillis();
    try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password());
         PreparedStatement ps = c.prepareStatement("""
             INSERT INTO orders (id, customer, status, items, reason, version, created_at, updated_at)
             VALUES (?, ?, 'PENDING', ?, NULL, 1, ?, ?)""")) {
      ps.setString(1, orderId);
      ps.setString(2, User.ALICE.userName());
      ps.setString(3, LineItem.toJson(List.of(new LineItem("dashboard-it-unknown-sku", 1))).encode());
      ps.setLong(4, now);
      ps.setLong(5, now);
      assertThat(ps.executeUpdate()).isOne();
    }
  }

  /** The test's own member, with the tests' operator certificate: members without one are sent no event. */
  private ClusterNode joinCluster() throws Exception {
    var tls = TestCertificates.settings("operator");
    ClusterNode node = ClusterNode.start(new ClusterSettings(cluster.clusterName(), ProcessCluster.HOST,
            cluster.clusterPort(), List.of(cluster.clusterMembers().split(",")), tls),
        NodeCredentials.load("dashboard-test", tls)).await(60, TimeUnit.SECONDS);
    EventEnvelopeCodec.register(node.vertx().eventBus());
    return node;
  }
}
