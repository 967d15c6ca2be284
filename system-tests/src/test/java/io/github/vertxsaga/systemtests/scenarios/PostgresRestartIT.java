package io.github.vertxsaga.systemtests.scenarios;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.vertxsaga.platform.db.DatabaseSettings;
import io.github.vertxsaga.platform.testing.Eventually;
import io.github.vertxsaga.platform.testing.TestDatabases;
import io.github.vertxsaga.systemtests.process.Invariants;
import io.github.vertxsaga.systemtests.process.Ledger;
import io.github.vertxsaga.systemtests.process.Load;
import io.github.vertxsaga.systemtests.process.PrivatePostgres;
import io.github.vertxsaga.systemtests.process.ProcessCluster;
import io.github.vertxsaga.systemtests.process.Shop;
import io.github.vertxsaga.systemtests.process.Topology;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Scenario 7: the database server restarts under load. It runs against a PostgreSQL server of its own (a private
 * {@code initdb} restarted with {@code pg_ctl restart -m fast}, as {@code pg_ctlcluster ... restart} does), so that
 * restarting it cuts no one else's connections on a machine whose shared server other builds use at the same time.
 */
@DisplayName("PostgreSQL restarting under load")
class PostgresRestartIT {
  @RegisterExtension
  final ProcessCluster cluster = new ProcessCluster();

  @Test
  @DisplayName("7. the services recover by themselves after PostgreSQL restarts under load; no accepted order is lost")
  void servicesRecoverFromADatabaseRestart() {
    TestDatabases.assertPostgresWhenRequired();
    assumeTrue(TestDatabases.postgresUrl() != null, "needs PostgreSQL: -Dtest.db.url (bin/test sets it)");
    Optional<Path> installation = PrivatePostgres.installation();
    if (installation.isEmpty() && Boolean.getBoolean("test.db.required")) {
      throw new IllegalStateException("no local PostgreSQL programs (initdb, pg_ctl) under /usr/lib/postgresql");
    }
    assumeTrue(installation.isPresent(), "needs the local PostgreSQL programs (initdb, pg_ctl)");
    PrivatePostgres server = PrivatePostgres.start(installation.get());
    cluster.onClose(server::close);
    DatabaseSettings inventoryDb = server.createDatabase("inventory");
    DatabaseSettings orderDb = server.createDatabase("orders");
    Topology topology = Topology.postgres(cluster, inventoryDb, orderDb, 1, Map.of());

    Shop shop = new Shop(topology);
    List<String> skus = List.of("P7-A", "P7-B", "P7-SCARCE");
    skus.forEach(sku -> shop.restock(sku, sku.endsWith("SCARCE") ? 40 : 100_000));
    int mark = topology.ledger().mark();
    try (Load load = Load.start(shop, Load.Plan.of(6, 20_000, Duration.ofSeconds(180), skus).paced(30))) {
      Eventually.until("orders stream in (100 accepted)", Duration.ofSeconds(60), () -> load.accepted() >= 100);
      int inFlight = Scenarios.pending(topology);
      long restarting = System.nanoTime();
      Duration restart = server.restart();
      long restarted = System.nanoTime();
      int acceptedAtRestart = load.accepted();
      Eventually.until("150 more orders accepted after the restart", Duration.ofSeconds(90),
          () -> load.accepted() >= acceptedAtRestart + 150);
      long recovered = System.nanoTime();
      load.stop();
      Duration ran = load.await(Duration.ofSeconds(60));
      String invariants = Invariants.check(topology, Scenarios.SETTLE);
      List<Ledger.Outcome> outcomes = topology.ledger().outcomesSince(mark);
      // Requests the database could not serve while it restarted get 503 "the database is unavailable" (502 when the
      // gateway had no other instance to retry a GET on, 504 if one waited too long): allowed while it was down and
      // just after, never later, and never a 500.
      long window = restarted + Duration.ofSeconds(15).toNanos();
      List<Ledger.Outcome> failed = outcomes.stream().filter(Ledger.Outcome::failed).toList();
      System.out.printf("PostgreSQL restarted (%d ms, %d orders in flight) under load; 150 more orders accepted "
              + "%d ms after it was back; load ran %d ms, %d orders accepted; answers %s; %s%n  failed: %s%n",
          restart.toMillis(), inFlight, Scenarios.millis(recovered - restarted), ran.toMillis(), load.accepted(),
          Ledger.statusCounts(outcomes), invariants, failed.stream().map(o -> String.format("%s (sent %+d ms from "
              + "the restart)", o, Scenarios.millis(o.startNanos() - restarting))).toList());
      assertThat(failed).as("requests failed outside the restart, or not as 'unavailable'").allMatch(o ->
          java.util.Set.of(502, 503, 504).contains(o.status()) && o.endNanos() >= restarting
              && o.startNanos() <= window);
      assertThat(topology.all()).as("no process died").allMatch(process -> process.isAlive());
    }
  }
}
