package io.github.vertxsaga.systemtests.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.platform.testing.TestDatabases;
import io.github.vertxsaga.systemtests.Http;
import io.github.vertxsaga.systemtests.InJvmSystem;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A deployment behind an OIDC provider: no shared secret, the provider's public keys from its JWKS endpoint, the
 * built-in issuer off. The provider here is a peer we do not own, so the test stands one up: an RSA key pair and an
 * HTTP server publishing its public half as a JWKS.
 */
@DisplayName("With an external identity provider")
class ExternalIdentityProviderTest {
  private static final String ISSUER = "https://idp.example.test";
  private static final String AUDIENCE = "orders-api";

  private static Vertx vertx;
  private static HttpServer jwksServer;
  private static JWTAuth provider;
  private static JWTAuth stranger;
  private static InJvmSystem edge;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    KeyPair keys = rsa();
    provider = signer(keys, "idp-key-1");
    stranger = signer(rsa(), "idp-key-1"); // same key id, another key: must not pass
    JsonObject jwks = new JsonObject().put("keys", new JsonArray().add(jwk((RSAPublicKey) keys.getPublic(), "idp-key-1")));
    jwksServer = vertx.createHttpServer()
        .requestHandler(request -> request.response().putHeader("Content-Type", "application/json").end(jwks.encode()))
        .listen(0, "127.0.0.1").await();
    edge = InJvmSystem.on(TestDatabases.Kind.H2).named("idp")
        .everyMember(Map.of("JWT_SECRET", "", "JWT_JWKS_URL", "http://127.0.0.1:" + jwksServer.actualPort()
            + "/jwks.json", "JWT_ISSUER", ISSUER, "JWT_AUDIENCE", AUDIENCE))
        .withGateway(Map.of("AUTH_ISSUER_ENABLED", "false"))
        .start();
  }

  @AfterAll
  static void stop() {
    if (edge != null) {
      edge.close();
    }
    vertx.close().await();
  }

  @Test
  @DisplayName("a token signed by the provider's key is accepted by the gateway and by the services")
  void providerTokenAccepted() {
    String admin = token(provider, "ops@example.test", "admin");
    assertThat(Http.bearer(admin).post(edge.gateway("/api/inventory/IDP-1/restock"), "{\"quantity\":3}").status())
        .isEqualTo(200);
    String customer = token(provider, "carol@example.test", "customer");
    assertThat(Http.bearer(customer).post(edge.gateway("/api/orders"),
        "{\"items\":[{\"sku\":\"IDP-1\",\"quantity\":1}]}").status()).isEqualTo(202);
    assertThat(Http.bearer(customer).get(edge.orderService("/api/orders")).status()).isEqualTo(200);
  }

  @Test
  @DisplayName("a token signed by another key with the same key id is refused")
  void strangerRefused() {
    String token = token(stranger, "mallory", "admin");
    assertThat(Http.bearer(token).get(edge.gateway("/api/orders")).status()).isEqualTo(401);
  }

  @Test
  @DisplayName("the built-in issuer is off")
  void issuerOff() {
    assertThat(Http.anonymous().post(edge.gateway("/api/auth/token"),
        "{\"username\":\"alice\",\"password\":\"alice-pw\"}").status()).isEqualTo(404);
  }

  private static String token(JWTAuth signer, String subject, String role) {
    return signer.generateToken(new JsonObject().put("sub", subject).put("role", role), new JWTOptions()
        .setAlgorithm("RS256").setIssuer(ISSUER).setAudience(List.of(AUDIENCE)).setExpiresInSeconds(300));
  }

  private static KeyPair rsa() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    return generator.generateKeyPair();
  }

  private static JWTAuth signer(KeyPair keys, String keyId) {
    String pem = "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(keys.getPrivate().getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
    return JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("RS256").setId(keyId).setBuffer(pem)));
  }

  private static JsonObject jwk(RSAPublicKey key, String keyId) {
    return new JsonObject().put("kty", "RSA").put("kid", keyId).put("use", "sig").put("alg", "RS256")
        .put("n", unsigned(key.getModulus())).put("e", unsigned(key.getPublicExponent()));
  }

  private static String unsigned(BigInteger value) {
    byte[] bytes = value.toByteArray();
    if (bytes[0] == 0) {
      bytes = Arrays.copyOfRange(bytes, 1, bytes.length);
    }
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
