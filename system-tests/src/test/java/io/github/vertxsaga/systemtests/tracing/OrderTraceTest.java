package io.github.vertxsaga.systemtests.tracing;

import static io.github.vertxsaga.platform.testing.Eventually.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.platform.testing.Eventually;
import io.github.vertxsaga.platform.testing.TestDatabases.Kind;
import io.github.vertxsaga.systemtests.Http;
import io.github.vertxsaga.systemtests.InJvmSystem;
import io.github.vertxsaga.systemtests.User;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.PreparedStatement;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * One trace per order, in one JVM: the gateway and both services each record their spans into one in-memory
 * exporter, and the spans of an order placed through the gateway must form one trace across the outbox hops.
 */
class OrderTraceTest {
  private static final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private static InJvmSystem system;

  @BeforeAll
  static void start() {
    system = InJvmSystem.on(Kind.H2).named("trace").withGateway().exportingSpansTo(spans).start();
  }

  @AfterAll
  static void stop() {
    system.close();
  }

  @Test
  @DisplayName("an order placed with the caller's traceparent is one trace from the caller's span to CONFIRMED, "
      + "across the three nodes and both outboxes")
  void orderIsOneTraceUnderTheCallersSpan() {
    String sku = restocked();
    String traceId = hex(32);
    String callerSpan = hex(16);
    String orderId = place(Http.as(User.ALICE).header("traceparent", "00-" + traceId + "-" + callerSpan + "-01"), sku);
    confirmed(orderId);

    List<TracedSpan> chain = chain(traceId);

    System.out.println("order " + orderId + ": " + SagaTrace.of(traceId, collected()).describe());
    assertThat(chain.get(0).parentSpanId()).as("the gateway continues the caller's span").isEqualTo(callerSpan);
    SagaTrace.assertChained(chain);
    assertThat(chain.get(4).attribute("cloudevents.event_subject")).isEqualTo(orderId);
    assertThat(chain.get(5).attribute("outbox.outcome")).isEqualTo("applied");
  }

  @Test
  @DisplayName("an event delivered again adds a delivery and a 'duplicate' handling to the order's trace, not a trace "
      + "of its own")
  void redeliveryStaysInTheTrace() {
    String sku = restocked();
    String orderId = place(Http.as(User.ALICE), sku);
    confirmed(orderId);
    String traceId = Eventually.value("the order's OrderPlaced delivery is collected", InJvmSystem.SETTLE,
        () -> SagaTrace.ofOrder(orderId, collected()));
    List<TracedSpan> chain = chain(traceId);
    assertThat(chain.get(0).parentSpanId()).as("a trace started by the gateway").isNull();
    TracedSpan placedWrite = chain.get(3);

    // As after a relay lost its lease mid-pass: the row is undelivered again, and the relay delivers it once more.
    result(system.orderServiceHost().database().inTransaction(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE outbox SET delivered_at = NULL, delivered_by = NULL WHERE aggregate_id = ? AND event_type = 'OrderPlaced'")) {
        ps.setString(1, orderId);
        return ps.executeUpdate();
      }
    }));

    SagaTrace trace = Eventually.value("the second delivery and its duplicate handling are in the trace",
        InJvmSystem.SETTLE, () -> {
          SagaTrace seen = SagaTrace.of(traceId, collected());
          List<TracedSpan> deliveries = seen.childOf(placedWrite, "order-service", "PRODUCER", "deliver inventory.events");
          boolean duplicateHandled = deliveries.stream().anyMatch(delivery -> seen.childOf(delivery,
              "inventory-service", "CONSUMER", "handle OrderPlaced").stream()
              .anyMatch(handling -> "duplicate".equals(handling.attribute("outbox.outcome"))));
          return deliveries.size() == 2 && duplicateHandled ? Optional.of(seen) : Optional.empty();
        });

    System.out.println("order " + orderId + " after a redelivery: " + trace.describe());
    assertThat(collected().stream().filter(span -> orderId.equals(span.attribute("cloudevents.event_subject")))
        .map(TracedSpan::traceId).distinct()).as("traces holding spans of the order's events").containsExactly(traceId);
  }

  private static List<TracedSpan> chain(String traceId) {
    return Eventually.value("the order's spans form the saga's chain", InJvmSystem.SETTLE,
        () -> SagaTrace.of(traceId, collected()).confirmedChain());
  }

  private static List<TracedSpan> collected() {
    return spans.getFinishedSpanItems().stream().map(TracedSpan::of).toList();
  }

  private static String restocked() {
    String sku = "trace-" + UUID.randomUUID().toString().substring(0, 8);
    assertThat(Http.as(User.ADMIN).post(system.inventoryService("/api/inventory/" + sku + "/restock"),
        new JsonObject().put("quantity", 10)).status()).isEqualTo(200);
    return sku;
  }

  private static String place(Http.Caller caller, String sku) {
    Http.Reply reply = caller.post(system.gateway("/api/orders"), new JsonObject().put("items",
        new JsonArray().add(new JsonObject().put("sku", sku).put("quantity", 1))));
    assertThat(reply.status()).as(reply.toString()).isEqualTo(202);
    return reply.json().getString("id");
  }

  private static void confirmed(String orderId) {
    Eventually.until("order " + orderId + " is CONFIRMED", InJvmSystem.SETTLE, () -> "CONFIRMED".equals(
        Http.as(User.ALICE).get(system.gateway("/api/orders/" + orderId)).json().getString("status")));
  }

  private static String hex(int digits) {
    StringBuilder out = new StringBuilder(digits);
    ThreadLocalRandom random = ThreadLocalRandom.current();
    while (out.length() < digits) {
      out.append(Character.forDigit(random.nextInt(16), 16));
    }
    return out.toString();
  }
}
