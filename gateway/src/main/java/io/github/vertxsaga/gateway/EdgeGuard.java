package io.github.vertxsaga.gateway;

import io.github.vertxsaga.platform.auth.Authentication;
import io.github.vertxsaga.platform.auth.TokenVerifier;
import io.github.vertxsaga.platform.http.Problems;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/**
 * What every {@code /api} request passes before validation: the token endpoint is rate-limited per client address
 * (to slow password guessing); every other route needs a valid bearer token and is rate-limited per user. Requests
 * without a valid token are limited per address too, so they cannot be used to flood the verifier.
 */
final class EdgeGuard implements Handler<RoutingContext> {
  static final String TOKEN_PATH = "/api/auth/token";

  private final TokenVerifier tokens;
  private final Handler<RoutingContext> bearer;
  private final RateLimiter users;
  private final RateLimiter logins;

  EdgeGuard(TokenVerifier tokens, GatewaySettings settings) {
    this.tokens = tokens;
    this.bearer = Authentication.bearer(tokens);
    this.users = new RateLimiter(settings.rate());
    this.logins = new RateLimiter(settings.loginRate());
  }

  @Override
  public void handle(RoutingContext ctx) {
    String path = ctx.normalizedPath();
    if (!path.startsWith("/api/")) {
      ctx.next();
    } else if (path.equals(TOKEN_PATH)) {
      limit(ctx, logins, "address:" + address(ctx));
    } else if (ctx.request().getHeader("Authorization") == null) {
      // Refused anyway; counted per address so anonymous floods hit 429 before they cost anything.
      if (limitOrPass(ctx, users, "address:" + address(ctx))) {
        bearer.handle(ctx);
      }
    } else {
      Authentication.authenticate(tokens, ctx).onSuccess(caller -> limit(ctx, users, "user:" + caller.name()));
    }
  }

  private void limit(RoutingContext ctx, RateLimiter limiter, String key) {
    if (limitOrPass(ctx, limiter, key)) {
      ctx.next();
    }
  }

  private static boolean limitOrPass(RoutingContext ctx, RateLimiter limiter, String key) {
    long waitMs = limiter.retryAfterMs(key, System.currentTimeMillis());
    if (waitMs == 0) {
      return true;
    }
    ctx.response().putHeader("Retry-After", Long.toString(Math.max(1, (waitMs + 999) / 1000)));
    Problems.send(ctx.response(), 429, "rate limit exceeded; retry after " + Math.max(1, (waitMs + 999) / 1000) + " s");
    return false;
  }

  private static String address(RoutingContext ctx) {
    return ctx.request().remoteAddress() == null ? "unknown" : ctx.request().remoteAddress().hostAddress();
  }
}
