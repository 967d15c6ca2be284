package io.github.vertxsaga.platform.testing;

import io.github.vertxsaga.platform.auth.AuthSettings;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.util.List;

/** The token configuration every test shares, and valid tokens signed with it. */
public final class TestTokens {
  public static final String SECRET = "test-secret-0123456789abcdef-0123456789abcdef";
  public static final String USERS = "alice:alice-pw:customer,bob:bob-pw:customer,admin:admin-pw:admin";

  private TestTokens() {
  }

  public static AuthSettings settings() {
    return new AuthSettings(SECRET, null, AuthSettings.DEFAULT_ISSUER, AuthSettings.DEFAULT_AUDIENCE);
  }

  /** A token for {@code subject} with {@code role}, valid for an hour, as the gateway's issuer would sign it. */
  public static String token(Vertx vertx, String subject, String role) {
    JWTAuth signer = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(SECRET)));
    return signer.generateToken(new JsonObject().put("sub", subject).put("role", role), new JWTOptions()
        .setAlgorithm("HS256").setIssuer(AuthSettings.DEFAULT_ISSUER).setAudience(List.of(AuthSettings.DEFAULT_AUDIENCE))
        .setExpiresInSeconds(3_600));
  }
}
