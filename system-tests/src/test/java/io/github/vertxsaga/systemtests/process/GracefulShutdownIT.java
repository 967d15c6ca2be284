package io.github.vertxsaga.systemtests.process;

import static org.assertj.core.api.Assertions.assertThat;

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
  private static final Duration START = Duration.ofSeconds(90);
  /** Long enough to look at the drain without racing it. */
  private static final Map<String, String> LONG_GRACE = Map.of("SHUTDOWN_GRACE_MS", "6000");

  @RegisterExtension
  final ProcessCluster cluster = new ProcessCluster();

  @Test
  @DisplayName("a gateway keeps answering while it drains, says it is not ready, and asks clients to close connections")
  void gatewayDrains() {
    ServiceProcess inventory = cluster.start(Service.INVENTORY, "inventory");
    ServiceProcess gateway = cluster.start(Service.GATEWAY, "gateway", LONG_GRACE);
    inventory.awaitReady(START);
    gateway.awaitHealthy(START);
    GatewayLog.awaitKnows(gateway, inventory);
    Http.Reply before = Http.get(gateway.uri("/api/inventory"), User.ALICE);
    assertThat(before.status()).isEqualTo(200);
    assertThat(before.header("Connection")).as("keep-alive before the drain").isNull();

    long signalled = System.nanoTime();
    gateway.terminate();
    // Without an order-service it was never ready: wait for the reason it gives while it drains.
    Http.Reply ready = Await.value("the gateway's /ready says it is stopping", Duration.ofSeconds(5),
        Duration.ofMillis(20), () -> java.util.Optional.of(Http.get(gateway.uri("/ready")))
            .filter(reply -> reply.status() == 503 && reply.body().contains("stopping")));
    Http.Reply during = Http.get(gateway.uri("/api/inventory"), User.ALICE);
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
    ServiceProcess inventory = cluster.start(Service.INVENTORY, "inventory", LONG_GRACE);
    inventory.awaitReady(START);
    assertThat(Http.get(inventory.uri("/api/inventory"), User.ALICE).header("Connection")).isNull();

    inventory.terminate();
    Await.until("inventory's /ready answers 503", Duration.ofSeconds(5), Duration.ofMillis(20),
        () -> Http.get(inventory.uri("/ready")).status() == 503);
    Http.Reply during = Http.get(inventory.uri("/api/inventory"), User.ALICE);
    boolean aliveDuring = inventory.isAlive();
    assertThat(inventory.awaitExit(Duration.ofSeconds(30))).isTrue();

    assertThat(during.status()).as(during.toString()).isEqualTo(200);
    assertThat(during.header("Connection")).isEqualTo("close");
    assertThat(aliveDuring).isTrue();
  }
}
