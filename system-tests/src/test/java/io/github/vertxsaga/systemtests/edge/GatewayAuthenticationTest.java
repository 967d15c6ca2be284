package io.github.vertxsaga.systemtests.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.platform.testing.TestDatabases;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The gateway and the services accept only valid bearer tokens")
class GatewayAuthenticationTest {
  private static EdgeCluster edge;
  private static Vertx vertx;
  private static JWTAuth signer;
  private static JWTAuth otherSigner;

  @BeforeAll
  static void start() {
    edge = EdgeCluster.start(TestDatabases.Kind.H2, 7301, Map.of("AUTH_RATE_LIMIT_BURST", "50"));
    vertx = Vertx.vertx();
    signer = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(EdgeCluster.SECRET)));
    otherSigner = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer("another-secret-that-is-long-enough-000")));
  }

  @AfterAll
  static void stop() {
    edge.close();
    vertx.close().await();
  }

  private static JWTOptions valid() {
    return new JWTOptions().setAlgorithm("HS256").setIssuer("vertx-saga").setAudience(List.of("vertx-saga-api"))
        .setExpiresInSeconds(300);
  }

  private static String token(JWTAuth by, JWTOptions options, String role) {
    return by.generateToken(new JsonObject().put("sub", "alice").put("role", role), options);
  }

  private static void assertUnauthorized(HttpResponse<String> response, String detailFragment) {
    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(response.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
    assertThat(new JsonObject(response.body()).getString("detail")).containsIgnoringCase(detailFragment);
  }

  @Test
  @DisplayName("a request without a token is 401 with a Bearer challenge")
  void noToken() {
    assertUnauthorized(edge.get("/api/orders", null), "bearer token is required");
  }

  @Test
  @DisplayName("a token signed with another key is refused")
  void wrongSignature() {
    assertUnauthorized(edge.get("/api/orders", token(otherSigner, valid(), "customer")), "invalid token");
  }

  @Test
  @DisplayName("an unsigned token (alg: none) is refused")
  void algNone() {
    String header = b64("{\"alg\":\"none\",\"typ\":\"JWT\"}");
    String payload = b64(new JsonObject().put("sub", "alice").put("role", "admin").put("iss", "vertx-saga")
        .put("aud", "vertx-saga-api").put("exp", System.currentTimeMillis() / 1000 + 300).encode());
    assertUnauthorized(edge.get("/api/orders", header + "." + payload + "."), "alg: none");
  }

  @Test
  @DisplayName("an expired token is refused")
  void expired() {
    JsonObject claims = new JsonObject().put("sub", "alice").put("role", "customer")
        .put("exp", System.currentTimeMillis() / 1000 - 600).put("iat", System.currentTimeMillis() / 1000 - 900);
    String token = signer.generateToken(claims, new JWTOptions().setAlgorithm("HS256").setIssuer("vertx-saga")
        .setAudience(List.of("vertx-saga-api")).setNoTimestamp(true));
    assertUnauthorized(edge.get("/api/orders", token), "invalid token");
  }

  @Test
  @DisplayName("a token without an expiry is refused")
  void noExpiry() {
    String token = signer.generateToken(new JsonObject().put("sub", "alice").put("role", "customer"),
        new JWTOptions().setAlgorithm("HS256").setIssuer("vertx-saga").setAudience(List.of("vertx-saga-api")));
    assertUnauthorized(edge.get("/api/orders", token), "no expiry");
  }

  @Test
  @DisplayName("a token from another issuer is refused")
  void wrongIssuer() {
    assertUnauthorized(edge.get("/api/orders", token(signer, valid().setIssuer("someone-else"), "customer")), "invalid token");
  }

  @Test
  @DisplayName("a token for another audience is refused")
  void wrongAudience() {
    assertUnauthorized(edge.get("/api/orders", token(signer, valid().setAudience(List.of("other-api")), "customer")),
        "invalid token");
  }

  @Test
  @DisplayName("a token whose payload was tampered with is refused")
  void tampered() {
    String[] parts = token(signer, valid(), "customer").split("\\.");
    JsonObject claims = new JsonObject(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8))
        .put("role", "admin");
    assertUnauthorized(edge.get("/api/admin/services", parts[0] + "." + b64(claims.encode()) + "." + parts[2]),
        "invalid token");
  }

  @Test
  @DisplayName("wrong credentials get no token")
  void wrongCredentials() {
    HttpResponse<String> response = edge.post("/api/auth/token", null, "{\"username\":\"alice\",\"password\":\"nope\"}",
        Map.of());
    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(edge.post("/api/auth/token", null, "{\"username\":\"mallory\",\"password\":\"x\"}", Map.of()).statusCode())
        .isEqualTo(401);
  }

  @Test
  @DisplayName("an issued token works and says Bearer with its lifetime")
  void issuedToken() {
    HttpResponse<String> response = edge.post("/api/auth/token", null,
        "{\"username\":\"alice\",\"password\":\"alice-pw\"}", Map.of());
    JsonObject body = new JsonObject(response.body());
    assertThat(body.getString("token_type")).isEqualTo("Bearer");
    assertThat(body.getInteger("expires_in")).isPositive();
    assertThat(edge.get("/api/orders", body.getString("access_token")).statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("a customer cannot see another customer's order: it is 404, not 403")
  void ownership() {
    String alice = edge.token("alice", "alice-pw");
    String bob = edge.token("bob", "bob-pw");
    edge.post("/api/inventory/OWN-1/restock", edge.token("admin", "admin-pw"), "{\"quantity\":5}", Map.of());
    String id = new JsonObject(edge.post("/api/orders", alice, "{\"items\":[{\"sku\":\"OWN-1\",\"quantity\":1}]}",
        Map.of()).body()).getString("id");
    assertThat(edge.get("/api/orders/" + id, alice).statusCode()).isEqualTo(200);
    assertThat(edge.get("/api/orders/" + id, bob).statusCode()).isEqualTo(404);
    assertThat(edge.post("/api/orders/" + id + "/cancel", bob, null, Map.of()).statusCode()).isEqualTo(404);
    assertThat(new JsonObject(edge.get("/api/orders", bob).body()).getJsonArray("items").encode()).doesNotContain(id);
    assertThat(edge.get("/api/orders/" + id, edge.token("admin", "admin-pw")).statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("a customer may not restock or use admin routes: 403")
  void customerIsNotAdmin() {
    String alice = edge.token("alice", "alice-pw");
    assertThat(edge.post("/api/inventory/X-1/restock", alice, "{\"quantity\":5}", Map.of()).statusCode()).isEqualTo(403);
    assertThat(edge.get("/api/admin/services", alice).statusCode()).isEqualTo(403);
    assertThat(edge.get("/api/admin/dead-letters", alice).statusCode()).isEqualTo(403);
  }

  @Test
  @DisplayName("a caller reaching a service port directly still needs a valid token")
  void servicesVerifyTokensToo() {
    assertThat(edge.getFrom(edge.orderPort, "/api/orders", null).statusCode()).isEqualTo(401);
    assertThat(edge.getFrom(edge.inventoryPort, "/api/inventory", null).statusCode()).isEqualTo(401);
    assertThat(edge.getFrom(edge.orderPort, "/admin/dead-letters", edge.token("alice", "alice-pw")).statusCode())
        .isEqualTo(403);
    assertThat(edge.getFrom(edge.orderPort, "/api/orders", token(signer, valid(), "customer")).statusCode())
        .isEqualTo(200);
  }

  private static String b64(String json) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }
}
