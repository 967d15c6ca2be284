package io.github.vertxsaga.platform.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.vertxsaga.platform.testing.TestTokens;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A verified token is remembered until it expires, never longer")
class TokenVerifierTest {
  private Vertx vertx;
  private TokenVerifier verifier;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    verifier = TokenVerifier.create(vertx, TestTokens.settings()).await();
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  private String token(String secret, String role, int ttlSeconds) {
    JWTAuth signer = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret)));
    return signer.generateToken(new JsonObject().put("sub", "alice").put("role", role), new JWTOptions()
        .setAlgorithm("HS256").setIssuer(AuthSettings.DEFAULT_ISSUER).setAudience(List.of(AuthSettings.DEFAULT_AUDIENCE))
        .setExpiresInSeconds(ttlSeconds));
  }

  @Test
  @DisplayName("a token used again names the same caller")
  void sameCallerAgain() {
    String token = token(TestTokens.SECRET, Caller.ADMIN, 300);
    assertThat(verifier.verify(token).await()).isEqualTo(new Caller("alice", Caller.ADMIN));
    assertThat(verifier.verify(token).await()).isEqualTo(new Caller("alice", Caller.ADMIN));
  }

  @Test
  @DisplayName("a token accepted once is refused once it has expired")
  void rememberedTokenExpires() throws InterruptedException {
    // exp has whole seconds from a truncated iat: a 1 s token may expire a millisecond after it is made.
    String token = token(TestTokens.SECRET, Caller.CUSTOMER, 3);
    assertThat(verifier.verify(token).await().name()).isEqualTo("alice");
    long exp = new JsonObject(new String(java.util.Base64.getUrlDecoder().decode(token.split("\\.")[1]),
        java.nio.charset.StandardCharsets.UTF_8)).getLong("exp");
    Thread.sleep(Math.max(0, exp * 1000 - System.currentTimeMillis()) + 1_100);
    assertThatThrownBy(() -> verifier.verify(token).await()).isInstanceOf(TokenVerifier.InvalidToken.class)
        .hasMessageContaining("invalid token");
  }

  @Test
  @DisplayName("a refused token stays refused")
  void refusedTokenStaysRefused() {
    String forged = token("another-secret-that-is-long-enough-0123456789", Caller.ADMIN, 300);
    for (int i = 0; i < 2; i++) {
      assertThatThrownBy(() -> verifier.verify(forged).await()).isInstanceOf(TokenVerifier.InvalidToken.class);
    }
  }
}
