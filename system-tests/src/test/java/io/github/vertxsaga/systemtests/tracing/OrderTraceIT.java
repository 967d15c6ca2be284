package io.github.vertxsaga.systemtests.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.platform.testing.Eventually;
import io.github.vertxsaga.systemtests.Http;
import io.github.vertxsaga.systemtests.User;
import io.github.vertxsaga.systemtests.process.ProcessCluster;
import io.github.vertxsaga.systemtests.process.Service;
import io.github.vertxsaga.systemtests.process.Topology;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One trace per order across three JVMs: the gateway and the services run as processes exporting over OTLP/HTTP to a
 * receiver this test runs, as a collector would, and the order's spans, collected from the three, form one trace.
 */
@DisplayName("One trace per order, exported over OTLP by the processes")
class OrderTraceIT {
  private static final String TRACE_ID = "5b8efff798038103d269b633813fc60c";
  private static final String CALLER_SPAN = "eee19b7ec3c1b174";
  private static final Duration EXPORTED = Duration.ofSeconds(30);

  @RegisterExtension
  final ProcessCluster cluster = new ProcessCluster();
  private OtlpReceiver receiver;

  @BeforeEach
  void startReceiver() throws Exception {
    receiver = OtlpReceiver.start();
  }

  @AfterEach
  void stopReceiver() {
    receiver.close();
  }

  @Test
  @DisplayName("an order placed through the gateway with the caller's traceparent is one trace from the caller's span "
      + "to CONFIRMED, its spans exported by the gateway, order-service and inventory-service")
  void orderIsOneTraceAcrossThreeJvms() {
    // A short batch delay, so the spans reach the receiver soon after they end.
    Map<String, String> exporting = Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint(),
        "OTEL_BSP_SCHEDULE_DELAY", "100");
    Topology topology = Topology.of(cluster).inventory("inventory", exporting).order("order", exporting)
        .gateway("gateway", exporting).start();

    Http.Reply restocked = Http.as(User.ADMIN).post(topology.api("/api/inventory/TRACE-1/restock"),
        new JsonObject().put("quantity", 5));
    assertThat(restocked.status()).as(restocked.toString()).isEqualTo(200);
    Http.Reply placed = Http.as(User.ALICE).header("traceparent", "00-" + TRACE_ID + "-" + CALLER_SPAN + "-01")
        .post(topology.api("/api/orders"), new JsonObject().put("items",
            new JsonArray().add(new JsonObject().put("sku", "TRACE-1").put("quantity", 2))));
    assertThat(placed.status()).as(placed.toString()).isEqualTo(202);
    String orderId = placed.json().getString("id");

    List<TracedSpan> chain = Eventually.value("the order's spans reach the receiver and form the saga's chain",
        EXPORTED, () -> SagaTrace.of(TRACE_ID, receiver.spans()).confirmedChain());

    System.out.println("order " + orderId + ", as the OTLP receiver got it in " + receiver.requests()
        + " export requests: " + SagaTrace.of(TRACE_ID, receiver.spans()).describe());
    assertThat(chain.get(0).parentSpanId()).as("the gateway continues the caller's span").isEqualTo(CALLER_SPAN);
    SagaTrace.assertChained(chain);
    assertThat(chain.stream().map(TracedSpan::service).distinct())
        .containsExactlyInAnyOrder("gateway", "order-service", "inventory-service");
    assertThat(chain.get(4).attribute("cloudevents.event_subject")).isEqualTo(orderId);
    // The log lines of the order's events name its trace.
    for (Service service : List.of(Service.ORDER, Service.INVENTORY)) {
      assertThat(topology.logLines(service)).as(service + "'s log")
          .anyMatch(line -> line.contains("published") && line.contains("order=" + orderId)
              && line.contains("trace_id=" + TRACE_ID))
          .anyMatch(line -> line.contains("handled") && line.contains("order=" + orderId)
              && line.contains("trace_id=" + TRACE_ID));
    }
  }
}
