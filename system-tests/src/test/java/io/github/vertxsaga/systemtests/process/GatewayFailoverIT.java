package io.github.vertxsaga.systemtests.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.platform.testing.Eventually;
import io.github.vertxsaga.systemtests.Http;
import io.github.vertxsaga.systemtests.User;
import java.time.Duration;
import java.time.LocalTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("The gateway when an inventory-service instance fails")
class GatewayFailoverIT {
  @RegisterExtension
  final ProcessCluster cluster = new ProcessCluster();

  /** One GET through the gateway, as the client saw it. */
  private record Outcome(long atNanos, int status, String servedBy, String error) {
  }

  @Test
  @DisplayName("keeps answering every GET from the survivor when the other instance is killed with kill -9")
  void keepsServingGetsWhenAnInstanceIsKilled() throws Exception {
    Topology topology = Topology.of(cluster).inventory("inventory-1").inventory("inventory-2").gateway("gateway")
        .start();
    ServiceProcess doomed = topology.inventories().get(0);
    ServiceProcess survivor = topology.inventories().get(1);
    ServiceProcess gateway = topology.gateways().get(0);
    String doomedServedBy = "inventory-service/" + doomed.instanceId();
    String survivorServedBy = "inventory-service/" + survivor.instanceId();

    List<Outcome> outcomes = new CopyOnWriteArrayList<>();
    AtomicBoolean stop = new AtomicBoolean();
    ExecutorService client = Executors.newSingleThreadExecutor();
    try {
      Future<?> load = client.submit(() -> {
        while (!stop.get()) {
          long at = System.nanoTime();
          try {
            Http.Reply reply = Http.as(User.ALICE).get(gateway.uri("/api/inventory"));
            outcomes.add(new Outcome(at, reply.status(), reply.servedBy(), reply.status() == 200 ? null : reply.body()));
          } catch (RuntimeException e) {
            outcomes.add(new Outcome(at, -1, null, e.toString()));
          }
        }
      });
      Eventually.until("both instances have served GETs", Duration.ofSeconds(30),
          () -> servedBy(outcomes, doomedServedBy) >= 5 && servedBy(outcomes, survivorServedBy) >= 5);

      LocalTime killedAt = LocalTime.now();
      long killed = System.nanoTime();
      doomed.kill();
      gateway.awaitLog(GatewayLog.instanceGone(doomed), Duration.ofSeconds(30));
      long forgotten = System.nanoTime();
      int before = outcomes.size();
      Eventually.until("20 more GETs after the gateway forgot the dead instance", Duration.ofSeconds(30),
          () -> outcomes.size() >= before + 20);
      stop.set(true);
      load.get(30, TimeUnit.SECONDS);

      long duringKill = outcomes.stream().filter(o -> o.atNanos() >= killed && o.atNanos() < forgotten).count();
      long lastRoutedMs = GatewayLog.lastTime(gateway, GatewayLog.failedOn(doomed))
          .map(t -> GatewayLog.millisBetween(killedAt, t)).orElse(-1L);
      String breakerOpenedMs = GatewayLog.firstTime(gateway, GatewayLog.breakerOpen(doomed))
          .map(t -> GatewayLog.millisBetween(killedAt, t) + " ms").orElse("never");
      System.out.printf("kill -9 -> gateway forgot the instance: %d ms; its breaker opened: %s; last request routed "
              + "to it (and retried) at %d ms; %d GETs while it was still known, %d in all%n",
          (forgotten - killed) / 1_000_000, breakerOpenedMs, lastRoutedMs, duringKill, outcomes.size());

      assertThat(outcomes).as("every GET, before, during and after the kill").allSatisfy(outcome ->
          assertThat(outcome.status()).as(outcome.toString()).isEqualTo(200));
      assertThat(duringKill).as("GETs sent between the kill and the gateway forgetting the instance").isPositive();
      assertThat(outcomes.stream().filter(o -> o.atNanos() >= killed).map(Outcome::servedBy))
          .as("after the kill only the survivor answers").containsOnly(survivorServedBy);
      assertThat(gateway.logCount(GatewayLog.instanceFound(doomed)))
          .as("the gateway, once it forgot the dead instance, never took it back").isEqualTo(1);
    } finally {
      stop.set(true);
      client.shutdownNow();
    }
  }

  @Test
  @DisplayName("opens the breaker of a frozen instance and stops sending it requests, while every GET succeeds on its "
      + "retry after the short read attempt, long before the request timeout")
  void opensTheBreakerOfAFrozenInstance() {
    Map<String, String> gatewaySettings = Map.of(
        // A GET held by the frozen instance for the whole request timeout would outlast the client's patience
        // (Http's 30 s): only the read attempt's bound gets it to the healthy instance in time.
        "GATEWAY_REQUEST_TIMEOUT_MS", "120000",
        "GATEWAY_READ_ATTEMPT_TIMEOUT_MS", "500",
        "BREAKER_MAX_FAILURES", "2",
        "BREAKER_RESET_MS", "60000"); // stays open for the whole test: no trial request muddles the count
    Topology topology = Topology.of(cluster).inventory("inventory-1").inventory("inventory-2")
        .gateway("gateway", gatewaySettings).start();
    ServiceProcess frozen = topology.inventories().get(0);
    ServiceProcess healthy = topology.inventories().get(1);
    ServiceProcess gateway = topology.gateways().get(0);
    String healthyServedBy = "inventory-service/" + healthy.instanceId();
    for (int i = 0; i < 4; i++) {
      // both connections warm
      assertThat(Http.as(User.ALICE).get(gateway.uri("/api/inventory")).status()).isEqualTo(200);
    }

    frozen.freeze();
    try {
      // The frozen JVM is still a cluster member for ~5 s (no heartbeat yet), so only the breaker can avoid it.
      for (int i = 0; i < 20 && !gateway.logContains(GatewayLog.breakerOpen(frozen)); i++) {
        Http.Reply reply = Http.as(User.ALICE).get(gateway.uri("/api/inventory"));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        assertThat(reply.servedBy()).isEqualTo(healthyServedBy);
      }
      String opened = gateway.awaitLog(GatewayLog.breakerOpen(frozen), Duration.ofSeconds(5));
      long failuresOnFrozen = gateway.logCount(GatewayLog.failedOn(frozen));
      System.out.println("breaker: " + opened + " after " + failuresOnFrozen + " timed-out attempts");

      for (int i = 0; i < 10; i++) {
        Http.Reply reply = Http.as(User.ALICE).get(gateway.uri("/api/inventory"));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        assertThat(reply.servedBy()).isEqualTo(healthyServedBy);
      }
      assertThat(gateway.logCount(GatewayLog.failedOn(frozen)))
          .as("attempts on the frozen instance after its breaker opened").isEqualTo(failuresOnFrozen);
      assertThat(gateway.logContains(GatewayLog.instanceGone(frozen)))
          .as("the gateway still knew the frozen instance: the breaker, not discovery, kept requests away").isFalse();
      assertThat(failuresOnFrozen).as("timed-out attempts before the breaker opened").isEqualTo(2);
    } finally {
      frozen.thaw();
    }
  }

  private static long servedBy(List<Outcome> outcomes, String servedBy) {
    return outcomes.stream().filter(o -> servedBy.equals(o.servedBy())).count();
  }
}
