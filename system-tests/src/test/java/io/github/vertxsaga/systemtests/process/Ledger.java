package io.github.vertxsaga.systemtests.process;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * What the clients of a topology were told, the reference the invariants are checked against: every unit restocked
 * (200), every order accepted (202) and every cancel accepted, and the outcome of every request sent. Thread-safe:
 * load loops write to it from many threads.
 */
public final class Ledger {
  /** One request as the client saw it: a status, or {@code -1} and the error when no answer came. */
  public record Outcome(String request, String gateway, int status, String servedBy, String error, long startNanos,
                        long endNanos) {
    /** A 5xx, or no answer at all. */
    public boolean failed() {
      return status >= 500 || status < 0;
    }

    @Override
    public String toString() {
      return request + " via " + gateway + " -> " + (status < 0 ? "no answer: " + error : status
          + (error == null ? "" : " " + error));
    }
  }

  private final Map<String, Long> restocked = new ConcurrentHashMap<>();
  private final Map<String, Shop.Line[]> accepted = new ConcurrentHashMap<>();
  private final Set<String> cancelled = ConcurrentHashMap.newKeySet();
  private final List<Outcome> outcomes = new ArrayList<>();

  void restocked(String sku, long quantity) {
    restocked.merge(sku, quantity, Long::sum);
  }

  void accepted(String orderId, Shop.Line[] lines) {
    accepted.put(orderId, lines);
  }

  void cancelled(String orderId) {
    cancelled.add(orderId);
  }

  synchronized void record(Outcome outcome) {
    outcomes.add(outcome);
  }

  /** Units restocked per SKU, in SKU order. */
  public Map<String, Long> restocked() {
    return new TreeMap<>(restocked);
  }

  /** Ids of the orders that got a 202. */
  public Set<String> acceptedOrders() {
    return Set.copyOf(accepted.keySet());
  }

  public Set<String> cancelledOrders() {
    return Set.copyOf(cancelled);
  }

  /** A mark to read the outcomes of the requests sent after it. */
  public synchronized int mark() {
    return outcomes.size();
  }

  public synchronized List<Outcome> outcomesSince(int mark) {
    return List.copyOf(outcomes.subList(mark, outcomes.size()));
  }

  public synchronized List<Outcome> outcomes() {
    return List.copyOf(outcomes);
  }

  /** "202 x 310, 409 x 2" */
  public static String statusCounts(List<Outcome> outcomes) {
    return outcomes.stream().collect(Collectors.groupingBy(o -> o.status() < 0 ? "no answer" : "" + o.status(),
            TreeMap::new, Collectors.counting()))
        .entrySet().stream().map(e -> e.getKey() + " x " + e.getValue()).collect(Collectors.joining(", "));
  }
}
