package io.github.vertxsaga.systemtests.process;

import io.github.vertxsaga.platform.testing.Eventually;
import io.github.vertxsaga.systemtests.Http;
import io.github.vertxsaga.systemtests.User;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What must hold after every scenario, checked through the API only, as the admin, against the topology's
 * {@link Ledger}:
 * <ul>
 *   <li>every order that got a 202 exists, and every order is CONFIRMED, REJECTED or CANCELLED, within the bound
 *   (PENDING and CANCELLING are on their way);</li>
 *   <li>for every SKU, {@code available + reserved} equals everything restocked, neither is negative, and
 *   {@code reserved} equals the quantities of the CONFIRMED orders: a double reservation would raise it, a double
 *   release lower it;</li>
 *   <li>no event waits in an outbox and none was dead-lettered (each service's {@code GET /admin/outbox}).</li>
 * </ul>
 * Stock is released after a cancel asynchronously, so the conditions are polled together until all hold (the system
 * is at rest) or the bound passes; a failure then says what still did not hold.
 */
public final class Invariants {
  /** CANCELLING is not among them: a cancelled order is done only once inventory has released its stock. */
  public static final Set<String> TERMINAL = Set.of("CONFIRMED", "REJECTED", "CANCELLED");
  private static final Duration POLL = Duration.ofMillis(500);
  private static final int PAGE = 500;
  private static final Pattern APPLIED = Pattern.compile(
      "handled event=(\\w+) id=(\\S+) order=(\\S+) .*outcome=applied");

  private Invariants() {
  }

  /** Checks every invariant; returns a summary for the scenario's report. */
  public static String check(Topology topology, Duration bound) {
    long start = System.nanoTime();
    // A service still recovering makes the read fail, and what does not hold yet is thrown too: either is polled
    // again, and the last one is the cause of the failure should the bound pass.
    State state = Eventually.value("the invariants hold", bound, POLL, () -> {
      State read = read(topology);
      List<String> violations = read.violations(topology.ledger());
      if (!violations.isEmpty()) {
        throw new IllegalStateException("invariants do not hold:\n  " + String.join("\n  ", violations));
      }
      return Optional.of(read);
    });
    assertAppliedAtMostOnce(topology);
    String summary = String.format("invariants hold (at rest after %d ms): %d orders (%s), %d accepted by clients; "
            + "stock of %d SKUs consistent", (System.nanoTime() - start) / 1_000_000, state.orders.size(),
        state.countByStatus(), topology.ledger().acceptedOrders().size(), state.stock.size());
    System.out.println(summary);
    return summary;
  }

  /**
   * The logs' view of "nothing applied twice": across every instance and restart of a service, no event of an order
   * was handled with {@code outcome=applied} twice (the inbox acknowledges a redelivery as {@code duplicate}).
   */
  public static void assertAppliedAtMostOnce(Topology topology) {
    for (Service service : List.of(Service.INVENTORY, Service.ORDER)) {
      Map<String, Integer> applied = new HashMap<>();
      for (String line : topology.logLines(service)) {
        Matcher matcher = APPLIED.matcher(line);
        if (matcher.find()) {
          applied.merge(matcher.group(1) + " " + matcher.group(3), 1, Integer::sum);
        }
      }
      List<String> twice = applied.entrySet().stream().filter(e -> e.getValue() > 1)
          .map(e -> e.getKey() + " x " + e.getValue()).toList();
      if (!twice.isEmpty()) {
        throw new AssertionError(service.serviceName() + " applied events twice: " + twice);
      }
    }
  }

  /** Every order in the system, by id, read page by page as the admin (who sees every customer's orders). */
  public static Map<String, JsonObject> allOrders(Topology topology) {
    Map<String, JsonObject> orders = new LinkedHashMap<>();
    for (int offset = 0; ; offset += PAGE) {
      Http.Reply reply = Http.as(User.ADMIN).get(topology.api("/api/orders?limit=" + PAGE + "&offset=" + offset));
      if (reply.status() != 200) {
        throw new IllegalStateException("listing orders answered " + reply);
      }
      JsonArray items = reply.json().getJsonArray("items");
      items.forEach(item -> orders.put(((JsonObject) item).getString("id"), (JsonObject) item));
      if (items.size() < PAGE) {
        return orders;
      }
    }
  }

  /** The stock of a SKU as the API shows it. */
  public static JsonObject stock(Topology topology, String sku) {
    Http.Reply reply = Http.as(User.ADMIN).get(topology.api("/api/inventory/" + sku));
    if (reply.status() != 200) {
      throw new IllegalStateException("GET /api/inventory/" + sku + " answered " + reply);
    }
    return reply.json();
  }

  private static State read(Topology topology) {
    Map<String, JsonObject> orders = allOrders(topology);
    Map<String, JsonObject> stock = new TreeMap<>();
    for (String sku : topology.ledger().restocked().keySet()) {
      stock.put(sku, stock(topology, sku));
    }
    Map<String, JsonObject> outboxes = new LinkedHashMap<>();
    for (ServiceProcess service : topology.services()) {
      if (!service.isAlive()) {
        continue; // killed on purpose: its database is read through the instances still running
      }
      Http.Reply reply = Http.as(User.ADMIN).get(service.uri("/admin/outbox"));
      if (reply.status() != 200) {
        throw new IllegalStateException(service.name() + " GET /admin/outbox answered " + reply);
      }
      outboxes.put(service.name(), reply.json());
    }
    return new State(orders, stock, outboxes);
  }

  private record State(Map<String, JsonObject> orders, Map<String, JsonObject> stock,
                       Map<String, JsonObject> outboxes) {
    List<String> violations(Ledger ledger) {
      List<String> violations = new ArrayList<>();
      List<String> missing = ledger.acceptedOrders().stream().filter(id -> !orders.containsKey(id)).toList();
      if (!missing.isEmpty()) {
        violations.add(missing.size() + " accepted orders are missing, e.g. " + sample(missing));
      }
      List<String> open = orders.values().stream().filter(o -> !TERMINAL.contains(o.getString("status")))
          .map(o -> o.getString("id") + "=" + o.getString("status")).toList();
      if (!open.isEmpty()) {
        violations.add(open.size() + " orders are not terminal, e.g. " + sample(open));
      }
      List<String> notCancelled = ledger.cancelledOrders().stream().filter(orders::containsKey)
          .filter(id -> !"CANCELLED".equals(orders.get(id).getString("status"))).toList();
      if (!notCancelled.isEmpty()) {
        violations.add(notCancelled.size() + " orders whose cancel got a 202 are not CANCELLED, e.g. "
            + sample(notCancelled));
      }
      Map<String, Long> confirmed = confirmedQuantities();
      ledger.restocked().forEach((sku, total) -> {
        JsonObject item = stock.get(sku);
        long available = item.getLong("available");
        long reserved = item.getLong("reserved");
        long expectedReserved = confirmed.getOrDefault(sku, 0L);
        if (available < 0 || reserved < 0) {
          violations.add("negative stock: " + item.encode());
        }
        if (available + reserved != total) {
          violations.add(sku + ": available + reserved = " + (available + reserved) + ", restocked " + total);
        }
        if (reserved != expectedReserved) {
          violations.add(sku + ": reserved " + reserved + " but CONFIRMED orders hold " + expectedReserved);
        }
      });
      outboxes.forEach((service, backlog) -> {
        if (backlog.getLong("undelivered", 0L) != 0 || backlog.getLong("deadLettered", 0L) != 0) {
          violations.add(service + " outbox is not drained: " + backlog.encode());
        }
      });
      return violations;
    }

    Map<String, Long> confirmedQuantities() {
      Map<String, Long> bySku = new HashMap<>();
      orders.values().stream().filter(o -> "CONFIRMED".equals(o.getString("status"))).forEach(o ->
          o.getJsonArray("items").forEach(item -> bySku.merge(((JsonObject) item).getString("sku"),
              ((JsonObject) item).getLong("quantity"), Long::sum)));
      return bySku;
    }

    String countByStatus() {
      return orders.values().stream().collect(Collectors.groupingBy(o -> o.getString("status"), TreeMap::new,
              Collectors.counting()))
          .entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "));
    }
  }

  private static String sample(List<String> values) {
    return values.subList(0, Math.min(5, values.size())).toString();
  }
}
