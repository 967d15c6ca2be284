package io.github.vertxsaga.platform.auth;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
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
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verifies bearer tokens with vertx-auth-jwt: signature, {@code iss}, {@code aud}, {@code exp}. A token without
 * {@code exp}, or whose header says {@code alg: none}, is refused outright.
 *
 * <p>A client sends the same token with every request, so each verified token is remembered with its caller until it
 * expires: its signature, issuer and audience cannot change for the same string, and its expiry is checked again on
 * every use. Only tokens that passed are remembered, at most {@link #MAX_REMEMBERED}, and all are forgotten when the
 * keys are reloaded. Verifying anew was about a tenth of the CPU of a service or of the gateway under load.
 */
public final class JwtTokenVerifier implements TokenVerifier {
  private static final Logger log = LoggerFactory.getLogger(JwtTokenVerifier.class);
  private static final long JWKS_REFRESH_MS = 10 * 60_000;
  static final int MAX_REMEMBERED = 10_000;

  private final Vertx vertx;
  private final AuthSettings settings;
  private final HttpClient jwksClient;
  private final Map<String, Verified> verified = new ConcurrentHashMap<>();
  private volatile JWTAuth provider;

  /** A token that passed verification: who it names, and until when (epoch ms) it is valid. */
  private record Verified(Caller caller, long expiresAtMs) {
  }

  private JwtTokenVerifier(Vertx vertx, AuthSettings settings) {
    this.vertx = vertx;
    this.settings = settings;
    this.jwksClient = settings.jwksUrl() == null ? null : vertx.createHttpClient();
  }

  /** Loads the keys (fetching the JWKS when configured, and refreshing it periodically). */
  static Future<TokenVerifier> create(Vertx vertx, AuthSettings settings) {
    JwtTokenVerifier verifier = new JwtTokenVerifier(vertx, settings);
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
      verified.clear(); // a key that is gone must not keep vouching for the tokens it signed
      return null;
    });
  }

  private Future<List<JsonObject>> fetchJwks() {
    return jwksClient
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
  @Override
  public Future<Caller> verify(String token) {
    Verified known = verified.get(token);
    if (known != null) {
      if (System.currentTimeMillis() < known.expiresAtMs()) {
        return Future.succeededFuture(known.caller());
      }
      verified.remove(token); // expired: verified anew below, which refuses it
    }
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
          Caller caller = new Caller(subject, claims.getString("role", Caller.CUSTOMER));
          remember(token, caller, ((Number) claims.getValue("exp")).longValue());
          return Future.succeededFuture(caller);
        });
  }

  private void remember(String token, Caller caller, long expSeconds) {
    if (verified.size() >= MAX_REMEMBERED) {
      verified.clear(); // rare (that many live tokens at once); bounded memory matters more than the odd re-check
    }
    verified.put(token, new Verified(caller, expSeconds > Long.MAX_VALUE / 1000 ? Long.MAX_VALUE : expSeconds * 1000));
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
}
