package io.github.vertxsaga.gateway;

import io.github.vertxsaga.events.ServiceNames;
import io.github.vertxsaga.platform.auth.Authentication;
import io.github.vertxsaga.platform.auth.TokenVerifier;
import io.github.vertxsaga.platform.http.CommonHandlers;
import io.github.vertxsaga.platform.node.NodeState;
import io.github.vertxsaga.platform.tls.NodeCredentials;
import io.github.vertxsaga.platform.http.Problems;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.OpenAPIRoute;
import io.vertx.ext.web.openapi.router.RequestExtractor;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.openapi.contract.OpenAPIContract;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The gateway's HTTP server. Its routes are built from the published OpenAPI contract, which validates every request
 * before it is proxied; each operation id names its handler below. One instance per event loop.
 */
final class GatewayVerticle extends VerticleBase {
  static final List<String> DOWNSTREAMS = List.of(ServiceNames.ORDER_SERVICE, ServiceNames.INVENTORY_SERVICE);

  private final GatewaySettings settings;
  private final JsonObject document;
  private final OpenAPIContract contract;
  private final UpstreamDirectory directory;
  private final TokenVerifier tokens;
  private final BooleanSupplier clustered;
  private final NodeState state;
  private final NodeCredentials credentials;
  private HttpServer server;
  private DashboardStream dashboard;

  GatewayVerticle(GatewaySettings settings, JsonObject document, OpenAPIContract contract, UpstreamDirectory directory,
                  TokenVerifier tokens, BooleanSupplier clustered, NodeState state, NodeCredentials credentials) {
    this.settings = settings;
    this.document = document;
    this.contract = contract;
    this.directory = directory;
    this.tokens = tokens;
    this.clustered = clustered;
    this.state = state;
    this.credentials = credentials;
  }

  @Override
  public Future<?> start() {
    ProxyHandler proxy = new ProxyHandler(directory, vertx.createHttpClient(
        credentials.applyTo(new HttpClientOptions().setKeepAlive(true).setConnectTimeout(1_000).setIdleTimeout(60)),
        new PoolOptions().setHttp1MaxSize(64)), settings.requestTimeoutMs(), settings.readAttemptMs());
    server = vertx.createHttpServer(new HttpServerOptions().setPort(settings.httpPort())
        .setHost(settings.cluster().host().equals("127.0.0.1") ? "0.0.0.0" : settings.cluster().host())
        .setMaxInitialLineLength(8192).setMaxHeaderSize(16 * 1024));
    AdminRoutes admin = new AdminRoutes(directory, proxy);
    dashboard = new DashboardStream(vertx, directory, proxy, admin);
    Router router = router(proxy, admin);
    // listen() takes host and port from the options; listen(port) would bind every interface whatever the host.
    return dashboard.start().compose(v -> server.requestHandler(router).listen());
  }

  @Override
  public Future<?> stop() {
    dashboard.close(); // endless streams would hold the shutdown for its whole grace
    return server.shutdown(2, TimeUnit.SECONDS);
  }

  private Router router(ProxyHandler proxy, AdminRoutes admin) {
    Handler<RoutingContext> adminOnly = Authentication.adminOnly();
    Handler<RoutingContext> toOrders = ctx -> proxy.forward(ctx, ServiceNames.ORDER_SERVICE);
    Handler<RoutingContext> toInventory = ctx -> proxy.forward(ctx, ServiceNames.INVENTORY_SERVICE);
    Map<String, List<Handler<RoutingContext>>> operations = Map.ofEntries(
        Map.entry("health", List.of(CommonHandlers.health())),
        Map.entry("ready", List.of(CommonHandlers.ready(this::notReady))),
        Map.entry("metrics", List.of(CommonHandlers.metrics())),
        Map.entry("openapi", List.of(ctx -> ctx.response().putHeader("Content-Type", "application/json")
            .end(document.encodePrettily()))),
        Map.entry("issueToken", List.of(issuer())),
        Map.entry("listInventory", List.of(toInventory)),
        Map.entry("getInventoryItem", List.of(toInventory)),
        Map.entry("restock", List.of(adminOnly, toInventory)),
        Map.entry("listOrders", List.of(toOrders)),
        Map.entry("placeOrder", List.of(toOrders)),
        Map.entry("getOrder", List.of(toOrders)),
        Map.entry("cancelOrder", List.of(toOrders)),
        Map.entry("adminServices", List.of(adminOnly, admin::services)),
        Map.entry("adminOutbox", List.of(adminOnly, admin::outbox)),
        Map.entry("adminDashboardStream", List.of(adminOnly, dashboard::open)),
        Map.entry("adminDeadLetters", List.of(adminOnly, admin::deadLetters)),
        Map.entry("adminRequeue", List.of(adminOnly, admin::requeue)));

    RequestExtractor extractor = RequestExtractor.withBodyHandler();
    RouterBuilder builder = RouterBuilder.create(vertx, contract, extractor);
    ContractValidation validation = new ContractValidation(vertx, contract, extractor);
    CommonHandlers.front(state::draining).forEach(builder::rootHandler);
    builder.rootHandler(new EdgeGuard(tokens, settings));
    for (OpenAPIRoute route : builder.getRoutes()) {
      String id = route.getOperation().getOperationId();
      List<Handler<RoutingContext>> handlers = operations.get(id);
      if (handlers == null) {
        throw new IllegalStateException("operation " + id + " of openapi.json has no handler");
      }
      route.setDoSecurity(false); // EdgeGuard authenticates before validation, so refusals do not reveal the contract
      // vertx-openapi's checks, run on the event loop rather than handed to a worker (ContractValidation says why)
      route.setDoValidation(false).addHandler(validation.of(route.getOperation()));
      handlers.forEach(route::addHandler);
    }
    Router router = builder.createRouter();
    DashboardPage.mount(router);
    router.route().last().handler(CommonHandlers.noRoute());
    router.route().failureHandler(GatewayFailures::handle);
    return router;
  }

  private Handler<RoutingContext> issuer() {
    if (!settings.issuerEnabled()) {
      return ctx -> Problems.send(ctx.response(), 404, "the built-in token issuer is disabled (AUTH_ISSUER_ENABLED=false)");
    }
    return new TokenIssuer(vertx, settings.auth(), settings.users(), settings.tokenTtlSeconds())::issue;
  }

  private List<String> notReady() {
    List<String> missing = new ArrayList<>();
    if (state.draining()) {
      missing.add("the gateway is stopping");
    }
    if (!clustered.getAsBoolean()) {
      missing.add("not joined to the cluster");
    }
    DOWNSTREAMS.stream().filter(service -> !directory.knows(service))
        .forEach(service -> missing.add("no instance of " + service + " is known"));
    return missing;
  }
}
