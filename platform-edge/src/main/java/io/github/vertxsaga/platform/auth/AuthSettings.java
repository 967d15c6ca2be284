package io.github.vertxsaga.platform.auth;

import io.github.vertxsaga.platform.config.Env;
import java.nio.charset.StandardCharsets;

/**
 * How bearer tokens are verified, the same in the gateway and in every service.
 *
 * @param secret     HMAC (HS256) key, at least 32 bytes ({@code JWT_SECRET})
 * @param jwksUrl    an OIDC provider's public keys, instead of or beside the secret ({@code JWT_JWKS_URL})
 * @param issuer     the required {@code iss} ({@code JWT_ISSUER})
 * @param audience   the required {@code aud} ({@code JWT_AUDIENCE})
 */
public record AuthSettings(String secret, String jwksUrl, String issuer, String audience) {
  public static final String DEFAULT_ISSUER = "vertx-saga";
  public static final String DEFAULT_AUDIENCE = "vertx-saga-api";
  public static final int MIN_SECRET_BYTES = 32;

  public AuthSettings {
    if ((secret == null || secret.isEmpty()) && (jwksUrl == null || jwksUrl.isEmpty())) {
      // vertx-auth-jwt with no key accepts unsigned tokens: never start like that.
      throw new IllegalArgumentException("no token key configured: set JWT_SECRET (at least " + MIN_SECRET_BYTES
          + " bytes) or JWT_JWKS_URL");
    }
    if (secret != null && !secret.isEmpty() && secret.getBytes(StandardCharsets.UTF_8).length < MIN_SECRET_BYTES) {
      throw new IllegalArgumentException("JWT_SECRET must be at least " + MIN_SECRET_BYTES + " bytes");
    }
  }

  public static AuthSettings from(Env env) {
    return new AuthSettings(
        env.string("JWT_SECRET", null),
        env.string("JWT_JWKS_URL", null),
        env.string("JWT_ISSUER", DEFAULT_ISSUER),
        env.string("JWT_AUDIENCE", DEFAULT_AUDIENCE));
  }

  public boolean hasSecret() {
    return secret != null && !secret.isEmpty();
  }

  @Override
  public String toString() {
    return "AuthSettings[secret=" + (hasSecret() ? "***" : "none") + ", jwksUrl=" + jwksUrl + ", issuer=" + issuer
        + ", audience=" + audience + "]";
  }
}
