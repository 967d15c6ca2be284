package io.github.vertxsaga.gateway;

import io.github.vertxsaga.platform.auth.AuthSettings;
import io.github.vertxsaga.platform.auth.Caller;
import io.github.vertxsaga.platform.http.Json;
import io.github.vertxsaga.platform.http.Problems;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /api/auth/token}: a built-in issuer for the embedded default and tests. Passwords are compared as
 * SHA-256 digests with {@link MessageDigest#isEqual}, and an unknown user costs the same as a wrong password, so
 * timing tells nothing about which names exist.
 */
final class TokenIssuer {
  private static final Logger log = LoggerFactory.getLogger(TokenIssuer.class);
  private static final byte[] NO_SUCH_USER = digest("\u0000no such user\u0000");

  /** An account of {@code AUTH_USERS}. */
  record Account(String username, byte[] passwordDigest, String role) {
    static List<Account> parseAll(String spec) {
      List<Account> accounts = new ArrayList<>();
      for (String entry : spec.split(",")) {
        if (entry.isBlank()) {
          continue;
        }
        String[] parts = entry.trim().split(":", -1);
        if (parts.length != 3 || parts[0].isEmpty() || parts[1].isEmpty()
            || !(parts[2].equals(Caller.CUSTOMER) || parts[2].equals(Caller.ADMIN))) {
          throw new IllegalArgumentException("AUTH_USERS entries are username:password:role with role customer or "
              + "admin; got '" + parts[0] + ":...'");
        }
        accounts.add(new Account(parts[0], digest(parts[1]), parts[2]));
      }
      return accounts;
    }
  }

  private final JWTAuth signer;
  private final AuthSettings auth;
  private final int ttlSeconds;
  private final Map<String, Account> accounts;

  TokenIssuer(Vertx vertx, AuthSettings auth, List<Account> accounts, int ttlSeconds) {
    this.signer = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(auth.secret())));
    this.auth = auth;
    this.ttlSeconds = ttlSeconds;
    this.accounts = accounts.stream().collect(Collectors.toMap(Account::username, Function.identity()));
  }

  void issue(RoutingContext ctx) {
    JsonObject body = ctx.body().asJsonObject();
    String username = body.getString("username");
    Account account = accounts.get(username);
    byte[] offered = digest(body.getString("password"));
    boolean matches = MessageDigest.isEqual(offered, account == null ? NO_SUCH_USER : account.passwordDigest());
    if (account == null || !matches) {
      log.info("token refused for user '{}' from {}", username, ctx.request().remoteAddress());
      ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"vertx-saga\"");
      Problems.send(ctx.response(), 401, "unknown user or wrong password");
      return;
    }
    String token = signer.generateToken(new JsonObject().put("sub", account.username()).put("role", account.role()),
        new JWTOptions().setAlgorithm("HS256").setIssuer(auth.issuer()).setAudience(List.of(auth.audience()))
            .setExpiresInSeconds(ttlSeconds));
    Json.ok(ctx, new JsonObject().put("access_token", token).put("token_type", "Bearer").put("expires_in", ttlSeconds));
  }

  static byte[] digest(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
