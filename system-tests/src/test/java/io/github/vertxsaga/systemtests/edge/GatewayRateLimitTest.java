package io.github.vertxsaga.systemtests.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.platform.testing.TestDatabases;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("One noisy client cannot starve the others")
class GatewayRateLimitTest {
  private static EdgeCluster edge;
  private static String alice;
  private static String bob;

  @BeforeAll
  static void start() {
    edge = EdgeCluster.start(TestDatabases.Kind.H2, 7341, Map.of(
        "RATE_LIMIT_PER_SECOND", "2", "RATE_LIMIT_BURST", "5",
        "AUTH_RATE_LIMIT_PER_MINUTE", "6", "AUTH_RATE_LIMIT_BURST", "4"));
    alice = edge.token("alice", "alice-pw"); // before the token endpoint's own bucket is drained by a test
    bob = edge.token("bob", "bob-pw");
  }

  @AfterAll
  static void stop() {
    edge.close();
  }

  @Test
  @DisplayName("a burst beyond the limit gets 429 with Retry-After, and another user is unaffected")
  void perUser() {
    List<HttpResponse<String>> burst = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      burst.add(edge.get("/api/orders", alice));
    }
    List<HttpResponse<String>> limited = burst.stream().filter(r -> r.statusCode() == 429).toList();
    assertThat(limited).isNotEmpty();
    assertThat(limited.get(0).headers().firstValue("Retry-After")).hasValueSatisfying(v -> assertThat(Long.parseLong(v)).isPositive());
    assertThat(limited.get(0).headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(edge.get("/api/orders", bob).statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("token requests are limited per address, to slow password guessing")
  void tokenEndpoint() {
    int refused = 0;
    for (int i = 0; i < 12; i++) {
      int status = edge.post("/api/auth/token", null, "{\"username\":\"mallory\",\"password\":\"guess" + i + "\"}",
          Map.of()).statusCode();
      assertThat(status).isIn(401, 429);
      refused += status == 429 ? 1 : 0;
    }
    assertThat(refused).isPositive();
  }
}
