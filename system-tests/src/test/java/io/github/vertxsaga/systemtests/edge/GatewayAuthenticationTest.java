package io.github.vertxsaga.systemtests.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.platform.testing.TestDatabases;
import io.github.vertxsaga.platform.testing.TestTokens;
import io.github.vertxsaga.systemtests.Http;
import io.github.vertxsaga.systemtests.InJvmSystem;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
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
  private static InJvmSystem edge;
  private static Vertx vertx;
  private static JWTAuth signer;
  private static JWTAuth otherSigner;

  @BeforeAll
  static void start() {
    edge = InJvmSystem.on(TestDatabases.Kind.H2).named("auth").withGateway(Map.of("AUTH_RATE_LIMIT_BURST", "50"))
        .start();
    vertx = Vertx.vertx();
    signer = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(TestTokens.SECRET)));
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

  private static void assertUnauthorized(Http.Reply response, String detailFragment) {
    assertThat(response.status()).isEqualTo(401);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(response.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
    assertThat(new JsonObject(response.body()).getString("detail")).containsIgnoringCase(detailFragment);
  }

  @Test
  @DisplayName("a request without a token is 401 with a Bearer challenge")
  void noToken() {
    assertUnauthorized(Http.anonymous().get(edge.gateway("/api/orders")), "bearer token is required");
  }

  @Test
  @DisplayName("a token signed with another key is refused")
  void wrongSignature() {
    String token = token(otherSigner, valid(), "customer");
    assertUnauthorized(Http.bearer(token).get(edge.gateway("/api/orders")), "invalid token");
  }

  @Test
  @DisplayName("an unsigned token (alg: none) is refused")
  void algNone() {
    String header = b64("{\"alg\":\"none\",\"typ\":\"JWT\"}");
    String payload = b64(new JsonObject().put("sub", "alice").put("role", "admin").put("iss", "vertx-saga")
        .put("aud", "vertx-saga-api").put("exp", System.currentTimeMillis() / 1000 + 300).encode());
    assertUnauthorized(Http.bearer(header + "." + payload + ".").get(edge.gateway("/api/orders")), "alg: none");
  }

  @Test
  @DisplayName("an expired token is refused")
  void expired() {
    JsonObject claims = new JsonObject().put("sub", "alice").put("role", "customer")
        .put("exp", System.currentTimeMillis() / 1000 - 600).put("iat", System.currentTimeMillis() / 1000 - 900);
    String token = signer.generateToken(claims, new JWTOptions().setAlgorithm("HS256").setIssuer("vertx-saga")
        .setAudience(List.of("vertx-saga-api")).setNoTimestamp(true));
    assertUnauthorized(Http.bearer(token).get(edge.gateway("/api/orders")), "invalid token");
  }

  @Test
  @DisplayName("a token without an expiry is refused")
  void noExpiry() {
    String token = signer.generateToken(new JsonObject().put("sub", "alice").put("role", "customer"),
        new JWTOptions().setAlgorithm("HS256").setIssuer("vertx-saga").setAudience(List.of("vertx-saga-api")));
    assertUnauthorized(Http.bearer(token).get(edge.gateway("/api/orders")), "no expiry");
  }

  @Test
  @DisplayName("a token from another issuer is refused")
  void wrongIssuer() {
    String token = token(signer, valid().setIssuer("someone-else"), "customer");
    assertUnauthorized(Http.bearer(token).get(edge.gateway("/api/orders")), "invalid token");
  }

  @Test
  @DisplayName("a token for another audience is refused")
  void wrongAudience() {
    String token = token(signer, valid().setAudience(List.of("other-api")), "customer");
    assertUnauthorized(Http.bearer(token).get(edge.gateway("/api/orders")), "invalid token");
  }

  @Test
  @DisplayName("a token whose payload was tampered with is refused")
  void tampered() {
    String[] parts = token(signer, valid(), "customer").split("\\.");
    JsonObject claims = new JsonObject(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8))
        .put("role", "admin");
    String tampered = parts[0] + "." + b64(claims.encode()) + "." + parts[2];
    assertUnauthorized(Http.bearer(tampered).get(edge.gateway("/api/admin/services")), "invalid token");
  }

  @Test
  @DisplayName("wrong credentials get no token")
  void wrongCredentials() {
    Http.Reply response = Http.anonymous().post(edge.gateway("/api/auth/token"),
        "{\"username\":\"alice\",\"password\":\"nope\"}");
    assertThat(response.status()).isEqualTo(401);
    assertThat(Http.anonymous().post(edge.gateway("/api/auth/token"), "{\"username\":\"mallory\",\"password\":\"x\"}")
        .status()).isEqualTo(401);
  }

  @Test
  @DisplayName("an issued token works and says Bearer with its lifetime")
  void issuedToken() {
    Http.Reply response = Http.anonymous().post(edge.gateway("/api/auth/token"),
        "{\"username\":\"alice\",\"password\":\"alice-pw\"}");
    JsonObject body = new JsonObject(response.body());
    assertThat(body.getString("token_type")).isEqualTo("Bearer");
    assertThat(body.getInteger("expires_in")).isPositive();
    assertThat(Http.bearer(body.getString("access_token")).get(edge.gateway("/api/orders")).status()).isEqualTo(200);
  }

  @Test
  @DisplayName("a customer cannot see another customer's order: it is 404, not 403")
  void ownership() {
    String alice = edge.issuedToken("alice", "alice-pw");
    String bob = edge.issuedToken("bob", "bob-pw");
    Http.bearer(edge.issuedToken("admin", "admin-pw")).post(edge.gateway("/api/inventory/OWN-1/restock"),
        "{\"quantity\":5}");
    String id = new JsonObject(Http.bearer(alice).post(edge.gateway("/api/orders"),
        "{\"items\":[{\"sku\":\"OWN-1\",\"quantity\":1}]}").body()).getString("id");
    assertThat(Http.bearer(alice).get(edge.gateway("/api/orders/" + id)).status()).isEqualTo(200);
    assertThat(Http.bearer(bob).get(edge.gateway("/api/orders/" + id)).status()).isEqualTo(404);
    assertThat(Http.bearer(bob).post(edge.gateway("/api/orders/" + id + "/cancel")).status()).isEqualTo(404);
    assertThat(new JsonObject(Http.bearer(bob).get(edge.gateway("/api/orders")).body()).getJsonArray("items").encode())
        .doesNotContain(id);
    assertThat(Http.bearer(edge.issuedToken("admin", "admin-pw")).get(edge.gateway("/api/orders/" + id)).status())
        .isEqualTo(200);
  }

  @Test
  @DisplayName("a customer may not restock or use admin routes: 403")
  void customerIsNotAdmin() {
    String alice = edge.issuedToken("alice", "alice-pw");
    assertThat(Http.bearer(alice).post(edge.gateway("/api/inventory/X-1/restock"), "{\"quantity\":5}").status())
        .isEqualTo(403);
    assertThat(Http.bearer(alice).get(edge.gateway("/api/admin/services")).status()).isEqualTo(403);
    assertThat(Http.bearer(alice).get(edge.gateway("/api/admin/dead-letters")).status()).isEqualTo(403);
  }

  @Test
  @DisplayName("a caller reaching a service port directly still needs a valid token")
  void servicesVerifyTokensToo() {
    assertThat(Http.anonymous().get(edge.orderService("/api/orders")).status()).isEqualTo(401);
    assertThat(Http.anonymous().get(edge.inventoryService("/api/inventory")).status()).isEqualTo(401);
    String alice = edge.issuedToken("alice", "alice-pw");
    assertThat(Http.bearer(alice).get(edge.orderService("/admin/dead-letters")).status()).isEqualTo(403);
    assertThat(Http.bearer(token(signer, valid(), "customer")).get(edge.orderService("/api/orders")).status())
        .isEqualTo(200);
  }

  private static String b64(String json) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }
}
