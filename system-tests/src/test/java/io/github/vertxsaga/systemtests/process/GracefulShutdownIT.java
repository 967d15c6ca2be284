package io.github.vertxsaga.systemtests.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.platform.testing.Eventually;
import io.github.vertxsaga.systemtests.Http;
import io.github.vertxsaga.systemtests.User;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What a process does between SIGTERM and exit: it drains. For {@code SHUTDOWN_GRACE_MS} it still answers, but
 * {@code /ready} says 503 and every answer carries {@code Connection: close}, so balancers and keep-alive clients
 * move away before the HTTP server closes; a request sent on a keep-alive connection at the moment the server closed
 * it would be lost, and for a POST the client could not know whether it was applied.
 */
@DisplayName("Processes told to stop")
class GracefulShutdownIT {
  /** Long enough to look at the drain without racing it. */
  private static final Map<String, String> LONG_GRACE = Map.of("SHUTDOWN_GRACE_MS", "6000");

  @RegisterExtension
  final ProcessCluster cluster = new ProcessCluster();

  @Test
  @DisplayName("a gateway keeps answering while it drains, says it is not ready, and asks clients to close connections")
  void gatewayDrains() {
    Topology topology = Topology.of(cluster).inventory("inventory").gateway("gateway", LONG_GRACE).start();
    ServiceProcess inventory = topology.inventories().get(0);
    ServiceProcess gateway = topology.gateways().get(0);
    Http.Reply before = Http.as(User.ALICE).get(gateway.uri("/api/inventory"));
    assertThat(before.status()).isEqualTo(200);
    assertThat(before.header("Connection")).as("keep-alive before the drain").isNull();

    long signalled = System.nanoTime();
    gateway.terminate();
    // Without an order-service it was never ready: wait for the reason it gives while it drains.
    Http.Reply ready = Eventually.value("the gateway's /ready says it is stopping", Duration.ofSeconds(5),
        Duration.ofMillis(20), () -> java.util.Optional.of(Http.anonymous().get(gateway.uri("/ready")))
            .filter(reply -> reply.status() == 503 && reply.body().contains("stopping")));
    Http.Reply during = Http.as(User.ALICE).get(gateway.uri("/api/inventory"));
    boolean aliveDuring = gateway.isAlive();
    assertThat(gateway.awaitExit(Duration.ofSeconds(30))).as("the gateway exits after its drain").isTrue();
    long exitedMs = (System.nanoTime() - signalled) / 1_000_000;
    System.out.printf("gateway: /ready %s; a request during the drain: %d, Connection: %s; exited %d ms after "
        + "SIGTERM%n", ready, during.status(), during.header("Connection"), exitedMs);

    assertThat(ready.json().getString("detail")).contains("stopping");
    assertThat(ready.header("Connection")).isEqualTo("close");
    assertThat(during.status()).as(during.toString()).isEqualTo(200);
    assertThat(during.header("Connection")).isEqualTo("close");
    assertThat(aliveDuring).isTrue();
    assertThat(gateway.logContains("stopping gateway: draining for 6000 ms")).isTrue();
    assertThat(exitedMs).as("it served for the whole grace").isGreaterThanOrEqualTo(6_000);
  }

  @Test
  @DisplayName("a service asks its clients (the gateways) to close their connections while it drains")
  void serviceDrains() {
    ServiceProcess inventory = Topology.of(cluster).inventory("inventory", LONG_GRACE).start().inventories().get(0);
    assertThat(Http.as(User.ALICE).get(inventory.uri("/api/inventory")).header("Connection")).isNull();

    inventory.terminate();
    Eventually.until("inventory's /ready answers 503", Duration.ofSeconds(5), Duration.ofMillis(20),
        () -> Http.anonymous().get(inventory.uri("/ready")).status() == 503);
    Http.Reply during = Http.as(User.ALICE).get(inventory.uri("/api/inventory"));
    boolean aliveDuring = inventory.isAlive();
    assertThat(inventory.awaitExit(Duration.ofSeconds(30))).isTrue();

    assertThat(during.status()).as(during.toString()).isEqualTo(200);
    assertThat(during.header("Connection")).isEqualTo("close");
    assertThat(aliveDuring).isTrue();
  }
}
