package io.github.vertxsaga.systemtests.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.platform.cluster.ClusterNode;
import io.github.vertxsaga.platform.db.DatabaseSettings;
import io.github.vertxsaga.platform.testing.TestDatabases;
import io.github.vertxsaga.systemtests.Http;
import io.github.vertxsaga.systemtests.User;
import io.github.vertxsaga.systemtests.process.ParkedEvents;
import io.github.vertxsaga.systemtests.process.ProcessCluster;
import io.github.vertxsaga.systemtests.process.Service;
import io.github.vertxsaga.systemtests.process.ServiceProcess;
import io.github.vertxsaga.systemtests.process.Topology;
import java.io.BufferedReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
  private static final String SKU = "dashboard-it-unknown-sku";
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
    ClusterNode member = ParkedEvents.joinAsOperator(cluster, "dashboard-test");
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
      ParkedEvents.placeUnissuedOrder(member, orderId, SKU);
      return orderId;
    }
    if (what.startsWith("repair ")) {
      ParkedEvents.createMissingOrder(topology.orders().get(0), what.substring("repair ".length()), SKU);
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
}
