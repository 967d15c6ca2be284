package io.github.vertxsaga.gateway;

import io.github.vertxsaga.events.ServiceNames;
import io.github.vertxsaga.platform.ServiceHost;
import io.github.vertxsaga.platform.http.Json;
import io.github.vertxsaga.platform.http.Problems;
import io.github.vertxsaga.platform.http.RequestIds;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** The gateway's HTTP server: health, readiness, and the routes to each service. One instance per event loop. */
final class GatewayVerticle extends VerticleBase {
  static final List<String> DOWNSTREAMS = List.of(ServiceNames.ORDER_SERVICE, ServiceNames.INVENTORY_SERVICE);

  private final GatewaySettings settings;
  private final UpstreamDirectory directory;
  private final BooleanSupplier clustered;
  private HttpServer server;
  private ProxyHandler proxy;

  GatewayVerticle(GatewaySettings settings, UpstreamDirectory directory, BooleanSupplier clustered) {
    this.settings = settings;
    this.directory = directory;
    this.clustered = clustered;
  }

  @Override
  public Future<?> start() {
    HttpClient client = vertx.createHttpClient(
        new HttpClientOptions().setKeepAlive(true).setConnectTimeout(1_000).setIdleTimeout(60),
        new PoolOptions().setHttp1MaxSize(64));
    proxy = new ProxyHandler(directory, client, settings.requestTimeoutMs());
    server = vertx.createHttpServer(new HttpServerOptions().setPort(settings.httpPort())
        .setHost(settings.cluster().host().equals("127.0.0.1") ? "0.0.0.0" : settings.cluster().host())
        .setMaxInitialLineLength(8192).setMaxHeaderSize(16 * 1024));
    return server.requestHandler(router()).listen(settings.httpPort());
  }

  @Override
  public Future<?> stop() {
    return server.shutdown(2, TimeUnit.SECONDS);
  }

  private Router router() {
    Router router = Router.router(vertx);
    router.route().handler(RequestIds::assign);
    router.get("/health").handler(ctx -> Json.ok(ctx, new JsonObject().put("status", "UP")));
    router.get("/ready").handler(this::ready);
    router.route("/api/*").handler(BodyHandler.create(false).setBodyLimit(ServiceHost.MAX_BODY_BYTES));
    router.route("/api/orders").handler(ctx -> proxy.forward(ctx, ServiceNames.ORDER_SERVICE));
    router.route("/api/orders/*").handler(ctx -> proxy.forward(ctx, ServiceNames.ORDER_SERVICE));
    router.route("/api/inventory").handler(ctx -> proxy.forward(ctx, ServiceNames.INVENTORY_SERVICE));
    router.route("/api/inventory/*").handler(ctx -> proxy.forward(ctx, ServiceNames.INVENTORY_SERVICE));
    router.route().last().handler(ctx -> Problems.send(ctx.response(), 404,
        "no route for " + ctx.request().method() + " " + ctx.request().path()));
    router.route().failureHandler(Problems::handleFailure);
    return router;
  }

  private void ready(RoutingContext ctx) {
    List<String> missing = new ArrayList<>();
    if (!clustered.getAsBoolean()) {
      missing.add("not joined to the cluster");
    }
    DOWNSTREAMS.stream().filter(service -> !directory.knows(service))
        .forEach(service -> missing.add("no instance of " + service + " is known"));
    if (missing.isEmpty()) {
      Json.ok(ctx, new JsonObject().put("status", "READY"));
    } else {
      Problems.send(ctx.response(), 503, String.join("; ", missing));
    }
  }
}
