package io.github.vertxsaga.systemtests.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.platform.testing.TestDatabases;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

@DisplayName("A retried POST with the same Idempotency-Key places one order")
class GatewayIdempotencyTest {
  private EdgeCluster edge;

  static List<TestDatabases.Kind> kinds() {
    TestDatabases.assertPostgresWhenRequired();
    return TestDatabases.available();
  }

  @AfterEach
  void stop() {
    if (edge != null) {
      edge.close();
    }
  }

  private static final String ORDER = "{\"items\":[{\"sku\":\"IDEM-1\",\"quantity\":1}]}";

  @ParameterizedTest(name = "on {0}")
  @MethodSource("kinds")
  @DisplayName("sequential and concurrent duplicates give one order; another body with the key is 422")
  void duplicates(TestDatabases.Kind kind) throws Exception {
    edge = EdgeCluster.start(kind, kind == TestDatabases.Kind.H2 ? 7321 : 7331, Map.of());
    String alice = edge.token("alice", "alice-pw");
    String bob = edge.token("bob", "bob-pw");
    edge.post("/api/inventory/IDEM-1/restock", edge.token("admin", "admin-pw"), "{\"quantity\":100}", Map.of());

    HttpResponse<String> first = edge.post("/api/orders", alice, ORDER, Map.of("Idempotency-Key", "seq-1"));
    HttpResponse<String> again = edge.post("/api/orders", alice, ORDER, Map.of("Idempotency-Key", "seq-1"));
    assertThat(first.statusCode()).isEqualTo(202);
    assertThat(again.statusCode()).isEqualTo(202);
    assertThat(id(again)).isEqualTo(id(first));
    assertThat(again.headers().firstValue("Idempotent-Replayed")).hasValue("true");

    HttpResponse<String> otherBody = edge.post("/api/orders", alice, ORDER.replace("\"quantity\":1", "\"quantity\":2"),
        Map.of("Idempotency-Key", "seq-1"));
    assertThat(otherBody.statusCode()).isEqualTo(422);
    assertThat(otherBody.headers().firstValue("Content-Type")).hasValue("application/problem+json");

    HttpResponse<String> bobsOwn = edge.post("/api/orders", bob, ORDER, Map.of("Idempotency-Key", "seq-1"));
    assertThat(id(bobsOwn)).as("keys are per user").isNotEqualTo(id(first));

    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<HttpResponse<String>>> racing = IntStream.range(0, 8)
          .mapToObj(i -> pool.submit(() -> edge.post("/api/orders", alice, ORDER, Map.of("Idempotency-Key", "race-1"))))
          .toList();
      List<String> ids = new java.util.ArrayList<>();
      for (Future<HttpResponse<String>> response : racing) {
        assertThat(response.get().statusCode()).isEqualTo(202);
        ids.add(id(response.get()));
      }
      assertThat(ids).as("every racer got the one order").containsOnly(ids.get(0));
    } finally {
      pool.shutdownNow();
    }
    long alicesOrders = new JsonObject(edge.get("/api/orders?limit=500", alice).body()).getJsonArray("items").size();
    assertThat(alicesOrders).as("seq-1 and race-1 placed one order each").isEqualTo(2);

    String cancelled = id(first);
    HttpResponse<String> cancel = edge.post("/api/orders/" + cancelled + "/cancel", alice, null, Map.of("Idempotency-Key", "c-1"));
    HttpResponse<String> cancelAgain = edge.post("/api/orders/" + cancelled + "/cancel", alice, null,
        Map.of("Idempotency-Key", "c-1"));
    assertThat(cancel.statusCode()).isEqualTo(202);
    assertThat(cancelAgain.statusCode()).as("the replay is the first answer, not a 409").isEqualTo(202);
    assertThat(new JsonObject(cancelAgain.body()).getString("status")).as("the first answer's status")
        .isEqualTo("CANCELLING");
  }

  private static String id(HttpResponse<String> response) {
    return new JsonObject(response.body()).getString("id");
  }
}
