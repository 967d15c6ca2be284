package io.github.vertxsaga.systemtests.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.platform.testing.TestDatabases;
import io.github.vertxsaga.systemtests.Http;
import io.github.vertxsaga.systemtests.InJvmSystem;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.List;
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
  private InJvmSystem edge;

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
    edge = InJvmSystem.on(kind).named("idempotency").withGateway().start();
    String alice = edge.issuedToken("alice", "alice-pw");
    String bob = edge.issuedToken("bob", "bob-pw");
    Http.bearer(edge.issuedToken("admin", "admin-pw")).post(edge.gateway("/api/inventory/IDEM-1/restock"),
        "{\"quantity\":100}");
    URI orders = edge.gateway("/api/orders");
    Http.Caller aliceOnce = Http.bearer(alice).header("Idempotency-Key", "seq-1");

    Http.Reply first = aliceOnce.post(orders, ORDER);
    Http.Reply again = aliceOnce.post(orders, ORDER);
    assertThat(first.status()).isEqualTo(202);
    assertThat(again.status()).isEqualTo(202);
    assertThat(id(again)).isEqualTo(id(first));
    assertThat(again.headers().firstValue("Idempotent-Replayed")).hasValue("true");

    Http.Reply otherBody = aliceOnce.post(orders, ORDER.replace("\"quantity\":1", "\"quantity\":2"));
    assertThat(otherBody.status()).isEqualTo(422);
    assertThat(otherBody.headers().firstValue("Content-Type")).hasValue("application/problem+json");

    Http.Reply bobsOwn = Http.bearer(bob).header("Idempotency-Key", "seq-1").post(orders, ORDER);
    assertThat(id(bobsOwn)).as("keys are per user").isNotEqualTo(id(first));

    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Http.Reply>> racing = IntStream.range(0, 8)
          .mapToObj(i -> pool.submit(() -> Http.bearer(alice).header("Idempotency-Key", "race-1").post(orders, ORDER)))
          .toList();
      List<String> ids = new java.util.ArrayList<>();
      for (Future<Http.Reply> response : racing) {
        assertThat(response.get().status()).isEqualTo(202);
        ids.add(id(response.get()));
      }
      assertThat(ids).as("every racer got the one order").containsOnly(ids.get(0));
    } finally {
      pool.shutdownNow();
    }
    long alicesOrders = new JsonObject(Http.bearer(alice).get(edge.gateway("/api/orders?limit=500")).body())
        .getJsonArray("items").size();
    assertThat(alicesOrders).as("seq-1 and race-1 placed one order each").isEqualTo(2);

    String cancelled = id(first);
    Http.Caller cancelOnce = Http.bearer(alice).header("Idempotency-Key", "c-1");
    Http.Reply cancel = cancelOnce.post(edge.gateway("/api/orders/" + cancelled + "/cancel"));
    Http.Reply cancelAgain = cancelOnce.post(edge.gateway("/api/orders/" + cancelled + "/cancel"));
    assertThat(cancel.status()).isEqualTo(202);
    assertThat(cancelAgain.status()).as("the replay is the first answer, not a 409").isEqualTo(202);
    assertThat(cancelAgain.json().getString("status")).as("the first answer's status").isEqualTo("CANCELLING");
  }

  private static String id(Http.Reply response) {
    return new JsonObject(response.body()).getString("id");
  }
}
