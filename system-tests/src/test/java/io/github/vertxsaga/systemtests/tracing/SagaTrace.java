package io.github.vertxsaga.systemtests.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * The spans of one order's trace, and the chain they must form when the order is placed through the gateway and
 * confirmed: gateway server span, its client span, order-service's request, its outbox write, the relay's delivery,
 * inventory's handling, its outbox write, its delivery, order-service's handling and its outbox write.
 */
final class SagaTrace {
  private final String traceId;
  private final List<TracedSpan> spans;

  private SagaTrace(String traceId, List<TracedSpan> spans) {
    this.traceId = traceId;
    this.spans = spans;
  }

  /** The spans of {@code traceId} among {@code collected}. */
  static SagaTrace of(String traceId, Collection<TracedSpan> collected) {
    return new SagaTrace(traceId, collected.stream().filter(span -> span.traceId().equals(traceId)).toList());
  }

  /** The trace the outbox write of {@code orderId}'s OrderPlaced belongs to, once it is collected. */
  static Optional<String> ofOrder(String orderId, Collection<TracedSpan> collected) {
    return collected.stream()
        .filter(span -> span.name().equals("deliver inventory.events") && orderId.equals(span.attribute("cloudevents.event_subject")))
        .map(TracedSpan::traceId).findFirst();
  }

  List<TracedSpan> spans() {
    return spans;
  }

  /**
   * The chain from the gateway's server span to order-service's last outbox write, each link the child of the one
   * before; empty while a link is missing (not yet exported).
   */
  Optional<List<TracedSpan>> confirmedChain() {
    List<TracedSpan> chain = new ArrayList<>();
    Optional<TracedSpan> server = spans.stream()
        .filter(span -> span.service().equals("gateway") && span.kind().equals("SERVER")).findFirst();
    if (server.isEmpty()) {
      return Optional.empty();
    }
    chain.add(server.get());
    String[][] links = {
        {"gateway", "CLIENT", null},
        {"order-service", "SERVER", null},
        {"order-service", "INTERNAL", "outbox write"},
        {"order-service", "PRODUCER", "deliver inventory.events"},
        {"inventory-service", "CONSUMER", "handle OrderPlaced"},
        {"inventory-service", "INTERNAL", "outbox write"},
        {"inventory-service", "PRODUCER", "deliver orders.events"},
        {"order-service", "CONSUMER", "handle InventoryReserved"},
        {"order-service", "INTERNAL", "outbox write"}};
    for (String[] link : links) {
      TracedSpan parent = chain.get(chain.size() - 1);
      Optional<TracedSpan> child = childOf(parent, link[0], link[1], link[2]).stream().findFirst();
      if (child.isEmpty()) {
        return Optional.empty();
      }
      chain.add(child.get());
    }
    return Optional.of(chain);
  }

  List<TracedSpan> childOf(TracedSpan parent, String service, String kind, String name) {
    return spans.stream()
        .filter(span -> parent.spanId().equals(span.parentSpanId()) && span.service().equals(service)
            && span.kind().equals(kind) && (name == null || span.name().equals(name)))
        .toList();
  }

  /** Every span of the trace, one line each, in the order they were collected: what the test prints. */
  String describe() {
    StringBuilder out = new StringBuilder("trace " + traceId + ", " + spans.size() + " spans:\n");
    spans.forEach(span -> out.append("  ").append(span).append('\n'));
    return out.toString();
  }

  static void assertChained(List<TracedSpan> chain) {
    for (int i = 1; i < chain.size(); i++) {
      assertThat(chain.get(i).parentSpanId()).as("parent of " + chain.get(i)).isEqualTo(chain.get(i - 1).spanId());
    }
  }
}
