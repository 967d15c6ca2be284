package io.github.vertxsaga.platform.http;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Writes JSON responses. */
public final class Json {
  private Json() {
  }

  public static void ok(RoutingContext ctx, JsonObject body) {
    send(ctx, 200, body);
  }

  public static void send(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
  }
}
