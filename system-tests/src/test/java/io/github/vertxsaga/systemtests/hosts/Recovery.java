package io.github.vertxsaga.systemtests.hosts;

import io.github.vertxsaga.platform.testing.Eventually;
import io.github.vertxsaga.systemtests.User;
import io.github.vertxsaga.systemtests.process.ServiceProcess;
import io.github.vertxsaga.systemtests.process.Shop;
import io.github.vertxsaga.systemtests.process.Topology;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * How long after a heal every instance takes part in complete orders again: probe orders, one after the other through
 * alternating gateways, until each gateway has answered a 202, each order-service instance has served one (its
 * {@code X-Served-By}), each inventory-service instance has handled a probe's {@code OrderPlaced} and each order-service
 * instance a probe's {@code InventoryReserved} (which makes it CONFIRMED). The event bus sends each event to one
 * consumer in turn, so a member whose consumers the cluster lost after a merge would never get one: the probe would
 * wait in vain.
 */
final class Recovery {
  static final Duration LIMIT = Duration.ofSeconds(90);
  private static final Duration PROBE_EVERY = Duration.ofMillis(100);

  private Recovery() {
  }

  /** Probes from {@code healedNanos} on until every instance took part; returns the time from the heal. */
  static Duration await(Topology topology, String sku, long healedNanos) {
    Shop shop = new Shop(topology);
    Map<String, ServiceProcess> orderById = new LinkedHashMap<>();
    topology.orders().forEach(order -> orderById.put("order-service/" + order.instanceId(), order));
    List<String> probes = new CopyOnWriteArrayList<>();
    Set<String> gatewaysAnswered = new HashSet<>();
    Set<String> ordersServed = new HashSet<>();
    List<String> missing = new ArrayList<>();
    try {
      Eventually.until("every instance takes part in an order after the heal", LIMIT, PROBE_EVERY, () -> {
        ServiceProcess gateway = topology.gateway();
        Shop.Answer answer = shop.order(gateway, User.ALICE, Shop.line(sku, 1));
        if (answer.status() == 202) {
          probes.add("order=" + answer.orderId());
          gatewaysAnswered.add(gateway.name());
          Optional.ofNullable(orderById.get(answer.outcome().servedBy())).ifPresent(o -> ordersServed.add(o.name()));
        }
        missing.clear();
        topology.gateways().stream().filter(g -> !gatewaysAnswered.contains(g.name()))
            .forEach(g -> missing.add(g.name() + " answered no 202"));
        topology.orders().stream().filter(o -> !ordersServed.contains(o.name()))
            .forEach(o -> missing.add(o.name() + " served no order"));
        topology.inventories().stream().filter(i -> !handled(i, "handled event=OrderPlaced", probes))
            .forEach(i -> missing.add(i.name() + " handled no OrderPlaced"));
        topology.orders().stream().filter(o -> !handled(o, "handled event=InventoryReserved", probes))
            .forEach(o -> missing.add(o.name() + " handled no InventoryReserved"));
        return missing.isEmpty();
      });
    } catch (AssertionError e) {
      throw new AssertionError("after " + probes.size() + " probe orders still: " + missing, e);
    }
    return Duration.ofNanos(System.nanoTime() - healedNanos);
  }

  private static boolean handled(ServiceProcess process, String event, List<String> probes) {
    return process.logLines().stream().anyMatch(line -> line.contains(event) && line.contains("outcome=applied")
        && probes.stream().anyMatch(line::contains));
  }
}
