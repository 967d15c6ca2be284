package io.github.vertxsaga.platform.auth;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verifies bearer tokens with vertx-auth-jwt: signature, {@code iss}, {@code aud}, {@code exp}. A token without
 * {@code exp}, or whose header says {@code alg: none}, is refused outright.
 */
public final class TokenVerifier {
  private static final Logger log = LoggerFactory.getLogger(TokenVerifier.class);
  private static final long JWKS_REFRESH_MS = 10 * 60_000;

  private final Vertx vertx;
  private final AuthSettings settings;
  private volatile JWTAuth provider;

  private TokenVerifier(Vertx vertx, AuthSettings settings) {
    this.vertx = vertx;
    this.settings = settings;
  }

  /** Loads the keys (fetching the JWKS when configured, and refreshing it periodically). */
  public static Future<TokenVerifier> create(Vertx vertx, AuthSettings settings) {
    TokenVerifier verifier = new TokenVerifier(vertx, settings);
    return verifier.reload().map(v -> {
      if (settings.jwksUrl() != null) {
        vertx.setPeriodic(JWKS_REFRESH_MS, id -> verifier.reload()
            .onFailure(e -> log.warn("JWKS refresh from {} failed, keeping the previous keys: {}", settings.jwksUrl(),
                e.toString())));
      }
      return verifier;
    });
  }

  private Future<Void> reload() {
    Future<List<JsonObject>> jwks = settings.jwksUrl() == null ? Future.succeededFuture(List.of()) : fetchJwks();
    return jwks.map(keys -> {
      JWTAuthOptions options = new JWTAuthOptions().setJWTOptions(new JWTOptions()
          .setIssuer(settings.issuer())
          .setAudience(List.of(settings.audience())));
      if (settings.hasSecret()) {
        options.addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(settings.secret()));
      }
      options.setJwks(keys);
      provider = JWTAuth.create(vertx, options);
      return null;
    });
  }

  private Future<List<JsonObject>> fetchJwks() {
    return vertx.createHttpClient()
        .request(new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(settings.jwksUrl()).setTimeout(5_000))
        .compose(request -> request.send())
        .compose(response -> response.statusCode() == 200
            ? response.body()
            : Future.failedFuture("JWKS endpoint answered " + response.statusCode()))
        .map(body -> {
          JsonArray keys = body.toJsonObject().getJsonArray("keys", new JsonArray());
          List<JsonObject> list = new ArrayList<>();
          keys.forEach(key -> list.add((JsonObject) key));
          if (list.isEmpty()) {
            throw new IllegalStateException("JWKS at " + settings.jwksUrl() + " holds no keys");
          }
          log.info("loaded {} keys from {}", list.size(), settings.jwksUrl());
          return list;
        });
  }

  /** The caller of a valid token; a failed future with a message fit for a 401 otherwise. */
  public Future<Caller> verify(String token) {
    String refusal = refuseOnSight(token);
    if (refusal != null) {
      return Future.failedFuture(new InvalidToken(refusal));
    }
    Future<io.vertx.ext.auth.User> authenticated;
    try {
      authenticated = provider.authenticate(new TokenCredentials(token));
    } catch (RuntimeException e) {
      // vertx-auth-jwt throws, instead of failing its future, on some claims of the wrong type ("exp": "999"):
      // whatever the provider cannot read is a bad token (401), never a failed request (500).
      authenticated = Future.failedFuture(e);
    }
    return authenticated
        .recover(e -> Future.failedFuture(new InvalidToken("invalid token: " + e.getMessage())))
        .compose(user -> {
          // vertx-auth-jwt keeps the verified claims in the user's attributes, the raw token in its principal.
          JsonObject claims = user.attributes().getJsonObject("accessToken", new JsonObject());
          if (!(claims.getValue("exp") instanceof Number)) {
            return Future.failedFuture(new InvalidToken("token has no expiry (exp)"));
          }
          String subject = claims.getString("sub");
          if (subject == null || subject.isBlank()) {
            return Future.failedFuture(new InvalidToken("token has no subject (sub)"));
          }
          String role = claims.getString("role", Caller.CUSTOMER);
          return Future.succeededFuture(new Caller(subject, role));
        });
  }

  /** Checks the provider must never be asked about: no token shape, or an unsigned one. */
  private static String refuseOnSight(String token) {
    String[] parts = token.split("\\.", -1);
    if (parts.length != 3) {
      return "malformed token";
    }
    try {
      JsonObject header = new JsonObject(new String(Base64.getUrlDecoder().decode(parts[0]),
          java.nio.charset.StandardCharsets.UTF_8));
      String alg = header.getString("alg");
      if (alg == null || alg.equalsIgnoreCase("none")) {
        return "unsigned tokens (alg: none) are refused";
      }
    } catch (RuntimeException e) {
      return "malformed token header";
    }
    return parts[2].isEmpty() ? "token has no signature" : null;
  }

  /** A token that does not prove who the caller is. */
  public static final class InvalidToken extends RuntimeException {
    public InvalidToken(String message) {
      super(message, null, false, false);
    }
  }
}
