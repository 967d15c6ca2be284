package io.github.vertxsaga.platform.auth;

import io.github.vertxsaga.platform.http.Problems;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/** Route handlers: a verified bearer token, or 401; the admin role, or 403. */
public final class Authentication {
  private Authentication() {
  }

  /** Verifies {@code Authorization: Bearer <jwt>} and records the caller for later handlers. */
  public static Handler<RoutingContext> bearer(TokenVerifier verifier) {
    return ctx -> authenticate(verifier, ctx).onSuccess(caller -> ctx.next());
  }

  /**
   * The verified caller of this request, recorded for later handlers; when there is none, the 401 has been sent and
   * the future fails.
   */
  public static Future<Caller> authenticate(TokenVerifier verifier, RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.length() <= 7) {
      return unauthorized(ctx, "Bearer realm=\"vertx-saga\"",
          "a bearer token is required (Authorization: Bearer <jwt>)");
    }
    return verifier.verify(header.substring(7).trim())
        .onSuccess(caller -> ctx.put(Caller.KEY, caller))
        .recover(e -> unauthorized(ctx, "Bearer realm=\"vertx-saga\", error=\"invalid_token\"", e.getMessage()));
  }

  /** Lets only callers with the admin role through. */
  public static Handler<RoutingContext> adminOnly() {
    return ctx -> {
      if (Caller.of(ctx).isAdmin()) {
        ctx.next();
      } else {
        Problems.send(ctx.response(), 403, "this operation needs the admin role");
      }
    };
  }

  private static Future<Caller> unauthorized(RoutingContext ctx, String challenge, String detail) {
    ctx.response().putHeader("WWW-Authenticate", challenge);
    Problems.send(ctx.response(), 401, detail);
    return Future.failedFuture(detail);
  }
}
