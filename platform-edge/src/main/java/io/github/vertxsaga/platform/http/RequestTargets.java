package io.github.vertxsaga.platform.http;

import io.vertx.ext.web.RoutingContext;

/**
 * A request target that cannot be decoded ({@code /api/orders/%ZZ}, {@code ?%ZZ}) is the client's mistake: answered
 * 400 here, before routing, instead of failing deep inside the router or a handler as an internal error.
 */
public final class RequestTargets {
  private RequestTargets() {
  }

  /** The first handler of a router: lets through a request whose path and query decode, answers 400 otherwise. */
  public static void requireDecodable(RoutingContext ctx) {
    try {
      ctx.normalizedPath();
      ctx.request().params();
    } catch (IllegalArgumentException e) {
      Problems.send(ctx.response(), 400, "the request target is not validly percent-encoded");
      return;
    }
    ctx.next();
  }
}
