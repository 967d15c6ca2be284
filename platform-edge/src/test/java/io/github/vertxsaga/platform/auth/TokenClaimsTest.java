package io.github.vertxsaga.platform.auth;

import static io.github.vertxsaga.platform.testing.Eventually.failure;
import static io.github.vertxsaga.platform.testing.Eventually.result;
import static org.assertj.core.api.Assertions.assertThat;

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

@DisplayName("Token claims of the wrong type are refused, not thrown")
class TokenClaimsTest {
  private Vertx vertx;
  private TokenVerifier verifier;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    verifier = result(TokenVerifier.create(vertx, TestTokens.settings()));
  }

  @AfterEach
  void stop() {
    result(vertx.close());
  }

  @Test
  @DisplayName("a valid token names its caller")
  void validToken() {
    Caller caller = result(verifier.verify(TestTokens.token(vertx, "alice", "customer")));
    assertThat(caller).isEqualTo(new Caller("alice", "customer"));
  }

  @Test
  @DisplayName("a signed token whose expiry is a string is refused as invalid, not thrown as an internal error")
  void expiryOfTheWrongTypeIsRefused() {
    String token = sign(new JsonObject().put("sub", "alice").put("role", "admin").put("exp", "9999999999"));
    Throwable refused = failure(verifier.verify(token));
    assertThat(refused).isInstanceOf(TokenVerifier.InvalidToken.class);
  }

  @Test
  @DisplayName("a signed token whose not-before is a string is refused as invalid")
  void notBeforeOfTheWrongTypeIsRefused() {
    String token = sign(new JsonObject().put("sub", "alice").put("nbf", "tomorrow")
        .put("exp", System.currentTimeMillis() / 1000 + 3_600));
    assertThat(failure(verifier.verify(token))).isInstanceOf(TokenVerifier.InvalidToken.class);
  }

  /** Signs the claims as they are (no expiry added), with the tests' secret, issuer and audience. */
  private String sign(JsonObject claims) {
    JWTAuth signer = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(TestTokens.SECRET)));
    return signer.generateToken(claims, new JWTOptions().setAlgorithm("HS256")
        .setIssuer(AuthSettings.DEFAULT_ISSUER).setAudience(List.of(AuthSettings.DEFAULT_AUDIENCE)));
  }
}
