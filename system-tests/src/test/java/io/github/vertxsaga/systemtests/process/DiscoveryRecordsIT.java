package io.github.vertxsaga.systemtests.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.platform.discovery.ServiceRegistration;
import io.github.vertxsaga.platform.testing.Eventually;
import io.vertx.servicediscovery.Record;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("Discovery records of service processes")
class DiscoveryRecordsIT {
  /** The documented bound: a crashed instance is forgotten within 10 s (5 s without heartbeat, then the janitors). */
  private static final Duration CRASH_BOUND = Duration.ofSeconds(10);
  /** Close polling, to time the removal. */
  private static final Duration POLL = Duration.ofMillis(50);

  @RegisterExtension
  final ProcessCluster cluster = new ProcessCluster();

  @Test
  @DisplayName("a ready service has its record, and SIGTERM removes it before the process even exits")
  void recordAppearsWhenReadyAndGoesFirstOnSigterm() {
    ObserverNode observer = cluster.observer();
    // A long drain: the record must go at the start of shutdown, while the process still lives.
    Topology topology = Topology.of(cluster).inventory("inventory", Map.of("SHUTDOWN_GRACE_MS", "8000")).order("order")
        .start();
    ServiceProcess inventory = topology.inventories().get(0);
    ServiceProcess order = topology.orders().get(0);

    Record inventoryRecord = awaitRecordOf(observer, inventory);
    Record orderRecord = awaitRecordOf(observer, order);
    assertThat(inventoryRecord.getName()).isEqualTo("inventory-service");
    assertThat(inventoryRecord.getLocation().getString("host")).isEqualTo(ProcessCluster.HOST);
    assertThat(inventoryRecord.getLocation().getInteger("port")).isEqualTo(inventory.httpPort());
    assertThat(inventoryRecord.getMetadata().getString(ServiceRegistration.NODE)).isIn(observer.members());
    assertThat(orderRecord.getName()).isEqualTo("order-service");
    assertThat(orderRecord.getLocation().getInteger("port")).isEqualTo(order.httpPort());

    String instance = inventory.instanceId();
    long signalled = System.nanoTime();
    inventory.terminate();
    Eventually.until("the inventory record is gone", Duration.ofSeconds(30), POLL,
        () -> observer.recordOfInstance(instance).isEmpty());
    long goneMs = (System.nanoTime() - signalled) / 1_000_000;
    boolean stillDraining = inventory.isAlive();
    System.out.printf("SIGTERM -> record gone: %d ms (process still alive: %s)%n", goneMs, stillDraining);

    assertThat(stillDraining).as("the record is removed by the service itself, before it leaves").isTrue();
    // The service logs the unpublish once the cluster confirmed it, which may be just after the observer saw it.
    assertThat(inventory.awaitLog("unpublished registration=", Duration.ofSeconds(5))).isNotEmpty();
    assertThat(inventory.awaitExit(Duration.ofSeconds(30))).as("inventory exits after draining").isTrue();
    assertThat(observer.recordOfInstance(order.instanceId())).as("the other service keeps its record").isPresent();
  }

  @Test
  @DisplayName("the record of a service killed with kill -9 disappears within 10 seconds")
  void recordOfKilledServiceDisappearsWithinTenSeconds() {
    ObserverNode observer = cluster.observer();
    Topology topology = Topology.of(cluster).inventory("inventory").order("order").start();
    ServiceProcess inventory = topology.inventories().get(0);
    ServiceProcess order = topology.orders().get(0);
    String instance = inventory.instanceId();
    awaitRecordOf(observer, inventory);
    awaitRecordOf(observer, order);

    long killed = System.nanoTime();
    inventory.kill();
    Eventually.until("the killed inventory's record is gone", Duration.ofSeconds(30), POLL,
        () -> observer.recordOfInstance(instance).isEmpty());
    Duration gone = Duration.ofNanos(System.nanoTime() - killed);
    System.out.printf("kill -9 -> record gone: %d ms%n", gone.toMillis());

    assertThat(gone).as("time from kill -9 to the record gone").isLessThanOrEqualTo(CRASH_BOUND);
    assertThat(order.awaitLog("removed stale record service=inventory-service", Duration.ofSeconds(5)))
        .as("the surviving service's janitor removed it").contains("127.0.0.1:" + inventory.httpPort());
    assertThat(observer.recordOfInstance(order.instanceId())).as("the survivor keeps its record").isPresent();
  }

  private static Record awaitRecordOf(ObserverNode observer, ServiceProcess process) {
    String instance = process.instanceId();
    return Eventually.value("the record of " + process.name() + " is published", Duration.ofSeconds(10),
        Duration.ofMillis(100), () -> observer.recordOfInstance(instance));
  }
}
