package io.github.vertxsaga.platform.http;

import io.vertx.ext.web.RoutingContext;
import java.util.UUID;
import java.util.regex.Pattern;

/** Gives every request an id (the caller's {@code X-Request-Id} when sane), echoed back and forwarded to the service. */
public final class RequestIds {
  private static final Pattern SANE = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
  private static final String KEY = "requestId";

  private RequestIds() {
  }

  public static void assign(RoutingContext ctx) {
    String given = ctx.request().getHeader(Problems.REQUEST_ID);
    String id = given != null && SANE.matcher(given).matches() ? given : UUID.randomUUID().toString();
    ctx.put(KEY, id);
    ctx.request().headers().set(Problems.REQUEST_ID, id);
    ctx.response().putHeader(Problems.REQUEST_ID, id);
    ctx.next();
  }

  public static String of(RoutingContext ctx) {
    return ctx.get(KEY);
  }
}
