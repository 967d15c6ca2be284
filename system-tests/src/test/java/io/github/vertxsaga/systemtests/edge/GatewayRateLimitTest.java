package io.github.vertxsaga.systemtests.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.platform.testing.TestDatabases;
import io.github.vertxsaga.systemtests.Http;
import io.github.vertxsaga.systemtests.InJvmSystem;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("One noisy client cannot starve the others")
class GatewayRateLimitTest {
  private static InJvmSystem edge;
  private static String alice;
  private static String bob;

  @BeforeAll
  static void start() {
    edge = InJvmSystem.on(TestDatabases.Kind.H2).named("rate-limit").withGateway(Map.of(
        "RATE_LIMIT_PER_SECOND", "2", "RATE_LIMIT_BURST", "5",
        "AUTH_RATE_LIMIT_PER_MINUTE", "6", "AUTH_RATE_LIMIT_BURST", "4")).start();
    alice = edge.issuedToken("alice", "alice-pw"); // before the token endpoint's own bucket is drained by a test
    bob = edge.issuedToken("bob", "bob-pw");
  }

  @AfterAll
  static void stop() {
    edge.close();
  }

  @Test
  @DisplayName("a burst beyond the limit gets 429 with Retry-After, and another user is unaffected")
  void perUser() {
    List<Http.Reply> burst = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      burst.add(Http.bearer(alice).get(edge.gateway("/api/orders")));
    }
    List<Http.Reply> limited = burst.stream().filter(r -> r.status() == 429).toList();
    assertThat(limited).isNotEmpty();
    assertThat(limited.get(0).headers().firstValue("Retry-After")).hasValueSatisfying(v -> assertThat(Long.parseLong(v)).isPositive());
    assertThat(limited.get(0).headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(Http.bearer(bob).get(edge.gateway("/api/orders")).status()).isEqualTo(200);
  }

  @Test
  @DisplayName("token requests are limited per address, to slow password guessing")
  void tokenEndpoint() {
    int refused = 0;
    for (int i = 0; i < 12; i++) {
      int status = Http.anonymous().post(edge.gateway("/api/auth/token"),
          "{\"username\":\"mallory\",\"password\":\"guess" + i + "\"}").status();
      assertThat(status).isIn(401, 429);
      refused += status == 429 ? 1 : 0;
    }
    assertThat(refused).isPositive();
  }
}
