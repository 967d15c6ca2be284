package io.github.vertxsaga.platform.http;

import io.vertx.ext.web.RoutingContext;

/** Reads {@code ?limit=&offset=}: bounded, and a 400 naming the parameter when malformed. */
public final class Paging {
  public static final int DEFAULT_LIMIT = 50;
  public static final int MAX_LIMIT = 500;

  private Paging() {
  }

  public static int limit(RoutingContext ctx) {
    return (int) bounded(ctx.queryParams().get("limit"), "limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
  }

  public static long offset(RoutingContext ctx) {
    return bounded(ctx.queryParams().get("offset"), "offset", 0, 0, Integer.MAX_VALUE);
  }

  public static long longParam(String raw, String name) {
    return bounded(raw, name, -1, 0, Long.MAX_VALUE);
  }

  private static long bounded(String raw, String name, long defaultValue, long min, long max) {
    if (raw == null) {
      return defaultValue;
    }
    try {
      long value = Long.parseLong(raw);
      if (value < min || value > max) {
        throw ApiException.badRequest("'" + name + "' must be between " + min + " and " + max);
      }
      return value;
    } catch (NumberFormatException e) {
      throw ApiException.badRequest("'" + name + "' must be a whole number");
    }
  }
}
