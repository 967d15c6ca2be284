package io.github.vertxsaga.platform.http;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The handlers every node's HTTP server has, in one place and one order: the ones ahead of every route (drain,
 * body limit, drain, decodable target, request id), {@code /health}, {@code /ready}, {@code /metrics}, the 404 for no route
 * and the problem+json failure mapping. A service builds its whole router with {@link #router}; the gateway, whose
 * routes come from its OpenAPI contract, takes the same pieces one by one.
 */
public final class CommonHandlers {
  /** Largest request body any node reads; a larger one is refused with 413 before it is buffered. */
  public static final int MAX_BODY_BYTES = 64 * 1024;

  private CommonHandlers() {
  }

  /**
   * Ahead of every route, in this order. The body handler comes first because Vert.x Web refuses a body handler
   * after a user handler on the same route, which is how the gateway's contract router installs these.
   */
  public static List<Handler<RoutingContext>> front(BooleanSupplier draining) {
    return List.of(
        BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES),
        Draining.closeConnectionsWhile(draining),
        RequestTargets::requireDecodable,
        RequestIds::assign);
  }

  public static Handler<RoutingContext> health() {
    return ctx -> Json.ok(ctx, new JsonObject().put("status", "UP"));
  }

  /** 200 when nothing is missing, else 503 naming what is. */
  public static Handler<RoutingContext> ready(Supplier<List<String>> missing) {
    return ctx -> {
      List<String> reasons = missing.get();
      if (reasons.isEmpty()) {
        Json.ok(ctx, new JsonObject().put("status", "READY"));
      } else {
        Problems.send(ctx.response(), 503, String.join("; ", reasons));
      }
    };
  }

  public static Handler<RoutingContext> metrics() {
    return PrometheusScrapingHandler.create();
  }

  public static Handler<RoutingContext> noRoute() {
    return ctx -> Problems.send(ctx.response(), 404,
        "no route for " + ctx.request().method() + " " + ctx.request().path());
  }

  /**
   * A whole router: the front handlers, {@code routes} (the node's own, and anything it puts ahead of every route,
   * such as a header on every answer), then {@code /health}, {@code /ready}, {@code /metrics}, the 404 and the
   * failure mapping.
   */
  public static Router router(Vertx vertx, BooleanSupplier draining, Supplier<List<String>> notReady,
                              Consumer<Router> routes) {
    Router router = Router.router(vertx);
    front(draining).forEach(handler -> router.route().handler(handler));
    routes.accept(router);
    router.get("/health").handler(health());
    router.get("/ready").handler(ready(notReady));
    router.get("/metrics").handler(metrics());
    router.route().last().handler(noRoute());
    router.route().failureHandler(Problems::handleFailure);
    return router;
  }
}
