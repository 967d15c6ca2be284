package io.github.vertxsaga.platform.service;

import io.github.vertxsaga.events.EventBatchCodec;
import io.github.vertxsaga.events.EventEnvelopeCodec;
import io.github.vertxsaga.platform.auth.Authentication;
import io.github.vertxsaga.platform.auth.TokenVerifier;
import io.github.vertxsaga.platform.cluster.ClusterNode;
import io.github.vertxsaga.platform.db.Database;
import io.github.vertxsaga.platform.http.CommonHandlers;
import io.github.vertxsaga.platform.http.HttpApiVerticle;
import io.github.vertxsaga.platform.node.NodeLifecycle;
import io.github.vertxsaga.platform.node.NodeRole;
import io.github.vertxsaga.platform.node.NodeState;
import io.github.vertxsaga.platform.node.RunningNode;
import io.github.vertxsaga.platform.outbox.EventHandler;
import io.github.vertxsaga.platform.outbox.InboxConsumer;
import io.github.vertxsaga.platform.outbox.OutboxHousekeeping;
import io.github.vertxsaga.platform.outbox.OutboxMetrics;
import io.github.vertxsaga.platform.outbox.OutboxRelay;
import io.github.vertxsaga.platform.outbox.TransactionalOutbox;
import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.Handler;
import io.vertx.core.tracing.TracingPolicy;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The role of every service with a database in the common node lifecycle: it migrates while the node joins, then
 * deploys the outbox relay, the inbox consumer, the housekeeping, the service's own verticles and, last, its HTTP API.
 */
public final class ServiceHost implements NodeRole<Database.Migrated> {
  /** Which instance answered: lets a client (and the tests) see the gateway's round-robin at work. */
  public static final String SERVED_BY = "X-Served-By";
  private static final Logger log = LoggerFactory.getLogger(ServiceHost.class);

  /** What a service adds to the common host. */
  public interface Module {
    /** The event-bus address its inbox consumer listens on. */
    String inboxAddress();

    EventHandler eventHandler();

    /** Mounts the service's own API routes. */
    void mountApi(Router router);

    /** Extra verticles (periodic reports and the like). */
    default List<Deployable> verticles() {
      return List.of();
    }
  }

  /** What a module is built from. */
  public record Context(Vertx vertx, TransactionalOutbox outbox, ServiceSettings settings) {
  }

  private final ServiceSettings settings;
  private final Function<Context, Module> modules;
  private Database database;
  private RunningNode running;

  private ServiceHost(ServiceSettings settings, Function<Context, Module> modules) {
    this.settings = settings;
    this.modules = modules;
  }

  /** Starts the service from its {@code main}; exits the JVM with a clear message when it cannot. */
  public static void launch(ServiceSettings settings, Function<Context, Module> modules) {
    NodeLifecycle.launch(new ServiceHost(settings, modules));
  }

  public static Future<ServiceHost> start(ServiceSettings settings, Function<Context, Module> modules) {
    ServiceHost host = new ServiceHost(settings, modules);
    return NodeLifecycle.start(host).map(running -> {
      host.running = running;
      return host;
    });
  }

  @Override
  public Identity identity() {
    return new Identity(settings.serviceName(), settings.cluster(), settings.shutdownGraceMs(), settings.tracing());
  }

  private String name() {
    return settings.serviceName();
  }

  @Override
  public Database.Migrated prepare() {
    return Database.migrate(settings.database(), name(),
        "classpath:db/migration/platform", "classpath:db/migration/" + name());
  }

  @Override
  public Future<Optional<Endpoint>> deploy(ClusterNode node, Database.Migrated migrated, NodeState state) {
    Vertx vertx = node.vertx();
    EventEnvelopeCodec.register(vertx.eventBus());
    EventBatchCodec.register(vertx.eventBus());
    database = migrated.attach(vertx);
    TransactionalOutbox outbox = new TransactionalOutbox(vertx, database, name(), node.tracing().tracer());
    return TokenVerifier.create(vertx, settings.auth()).compose(tokens -> {
      Module module = modules.apply(new Context(vertx, outbox, settings));
      OutboxMetrics metrics = new OutboxMetrics(name());
      Duration drain = Duration.ofMillis(Math.max(settings.shutdownGraceMs(), 1_000));
      HttpApiVerticle http = new HttpApiVerticle(settings.cluster().host(), settings.httpPort(), drain,
          node.credentials()::applyTo, v -> router(v, state, tokens, module, outbox));
      // Probes and Prometheus hold no client certificate: they get a port of their own that serves nothing else,
      // untraced (a probe every few seconds would be a trace of its own each time).
      HttpApiVerticle ops = new HttpApiVerticle(settings.cluster().host(), settings.opsPort(), drain,
          options -> options.setTracingPolicy(TracingPolicy.IGNORE), v -> CommonHandlers.router(v, state::draining, notReady(state),
              router -> router.route().handler(servedBy(state))));
      List<Deployable> verticles = new ArrayList<>(List.of(
          new OutboxRelay(database, name(), settings.outbox(), metrics, outbox.tracer()),
          new InboxConsumer(name(), module.inboxAddress(), outbox, module.eventHandler(), settings.haltAfterApply()),
          new OutboxHousekeeping(outbox, settings.outbox(), metrics)));
      verticles.addAll(module.verticles());
      verticles.add(http); // last: no request is taken before everything behind it is up
      verticles.add(ops);
      return deployInOrder(vertx, verticles).map(v -> {
        log.info("{} API on port {} ({}), probes and metrics on http://{}:{}", name(), http.actualPort(),
            node.credentials().enabled() ? "HTTPS, client certificate required" : "plain HTTP, CLUSTER_TLS=off",
            settings.cluster().host(), ops.actualPort());
        return Optional.of(new Endpoint(settings.cluster().host(), http.actualPort()));
      });
    });
  }

  private static Future<Void> deployInOrder(Vertx vertx, List<Deployable> verticles) {
    Future<Void> all = Future.succeededFuture();
    for (Deployable verticle : verticles) {
      all = all.compose(v -> vertx.deployVerticle(verticle).mapEmpty());
    }
    return all;
  }

  private Router router(Vertx vertx, NodeState state, TokenVerifier tokens, Module module, TransactionalOutbox outbox) {
    return CommonHandlers.router(vertx, state::draining, notReady(state), router -> {
      router.route().handler(servedBy(state));
      // Identity is never taken on trust: whoever reaches this port, through the gateway or not, shows a valid token.
      router.route("/api/*").handler(Authentication.bearer(tokens));
      router.route("/admin/*").handler(Authentication.bearer(tokens)).handler(Authentication.adminOnly());
      new OutboxAdminRoutes(outbox).mount(router);
      module.mountApi(router);
    });
  }

  private Handler<RoutingContext> servedBy(NodeState state) {
    String instance = name() + "/" + state.instanceId();
    return ctx -> {
      ctx.response().putHeader(SERVED_BY, instance);
      ctx.next();
    };
  }

  private Supplier<List<String>> notReady(NodeState state) {
    List<String> starting = List.of(name() + " is starting or stopping");
    return () -> state.ready() ? List.of() : starting;
  }

  /** Unpublish, let in-flight requests finish, then leave the cluster and close the database. */
  public Future<Void> stop() {
    return running.stop();
  }

  public ClusterNode node() {
    return running.node();
  }

  public Database database() {
    return database;
  }
}
