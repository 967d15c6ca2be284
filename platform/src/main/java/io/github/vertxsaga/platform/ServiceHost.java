package io.github.vertxsaga.platform;

import io.github.vertxsaga.events.EventEnvelopeCodec;
import io.github.vertxsaga.platform.cluster.ClusterNode;
import io.github.vertxsaga.platform.config.ServiceSettings;
import io.github.vertxsaga.platform.db.Database;
import io.github.vertxsaga.platform.discovery.ServiceRegistration;
import io.github.vertxsaga.platform.discovery.StaleRecordJanitor;
import io.github.vertxsaga.platform.http.Draining;
import io.github.vertxsaga.platform.http.HttpApiVerticle;
import io.github.vertxsaga.platform.http.OperatorRoutes;
import io.github.vertxsaga.platform.http.Problems;
import io.github.vertxsaga.platform.http.RequestIds;
import io.github.vertxsaga.platform.http.RequestTargets;
import io.github.vertxsaga.platform.auth.Authentication;
import io.github.vertxsaga.platform.auth.TokenVerifier;
import io.github.vertxsaga.platform.outbox.InboxConsumer;
import io.github.vertxsaga.platform.outbox.OutboxMetrics;
import io.github.vertxsaga.platform.outbox.OutboxHousekeeping;
import io.github.vertxsaga.platform.outbox.OutboxRelay;
import io.github.vertxsaga.platform.outbox.TransactionalOutbox;
import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.vertx.servicediscovery.ServiceDiscovery;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts and stops one service instance the same way for every service: join the cluster, migrate the database,
 * deploy the relay, the inbox consumer and the HTTP API, and only then publish the discovery record. On SIGTERM the
 * record goes first, in-flight requests finish, then the node leaves the cluster.
 */
public final class ServiceHost {
  public static final int MAX_BODY_BYTES = 64 * 1024;
  public static final String SERVED_BY = "X-Served-By";
  private static final Logger log = LoggerFactory.getLogger(ServiceHost.class);

  /** What a service adds to the common host. */
  public interface Module {
    /** The event-bus address its inbox consumer listens on. */
    String inboxAddress();

    io.github.vertxsaga.platform.outbox.EventHandler eventHandler();

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
  private final ClusterNode node;
  private final Database database;
  private final ServiceDiscovery discovery;
  private final ServiceRegistration registration;
  private TokenVerifier tokens;
  private volatile boolean ready;
  private volatile boolean stopping;
  private volatile String servedBy;

  private ServiceHost(ServiceSettings settings, ClusterNode node, Database database, ServiceDiscovery discovery) {
    this.settings = settings;
    this.node = node;
    this.database = database;
    this.discovery = discovery;
    this.registration = new ServiceRegistration(discovery);
  }

  /** Starts the service; exits the JVM with a clear message when it cannot. Used by each service's {@code main}. */
  public static void launch(ServiceSettings settings, Function<Context, Module> modules) {
    long started = System.nanoTime();
    start(settings, modules)
        .onSuccess(host -> {
          Runtime.getRuntime().addShutdownHook(new Thread(host::stopAndWait, settings.serviceName() + "-shutdown"));
          log.info("{} ready in {} ms", settings.serviceName(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        })
        .onFailure(e -> {
          log.error("{} failed to start: {}", settings.serviceName(), e.toString(), e);
          System.exit(1);
        });
  }

  public static Future<ServiceHost> start(ServiceSettings settings, Function<Context, Module> modules) {
    log.info("starting {} cluster={} host={} members={} db={}", settings.serviceName(), settings.cluster().name(),
        settings.cluster().host(), settings.cluster().members(), settings.database().url());
    Future<Database.Migrated> migrated = migrateMeanwhile(settings);
    return ClusterNode.start(settings.cluster()).recover(e -> {
      migrated.onSuccess(Database.Migrated::close);
      return Future.failedFuture(e);
    }).compose(node -> {
      Vertx vertx = node.vertx();
      EventEnvelopeCodec.register(vertx.eventBus());
      return migrated.map(pool -> pool.attach(vertx))
          .compose(database -> {
            ServiceHost host = new ServiceHost(settings, node, database, ServiceDiscovery.create(vertx));
            TransactionalOutbox outbox = new TransactionalOutbox(vertx, database, settings.serviceName());
            return TokenVerifier.create(vertx, settings.auth())
                .compose(tokens -> {
                  host.tokens = tokens;
                  return host.deploy(modules.apply(new Context(vertx, outbox, settings)), outbox);
                })
                .recover(e -> vertx.close().eventually(() -> {
                  database.close();
                  return Future.succeededFuture();
                }).transform(ignored -> Future.failedFuture(e)));
          }, e -> vertx.close().transform(ignored -> Future.failedFuture(e)));
    });
  }

  /**
   * Migrates the database on a thread of its own, started now: at a cold start the cluster join and the migration
   * take seconds each, and neither needs the other, so the service is ready after the longer of the two rather than
   * after both.
   */
  private static Future<Database.Migrated> migrateMeanwhile(ServiceSettings settings) {
    Promise<Database.Migrated> migrated = Promise.promise();
    Thread migration = new Thread(() -> {
      try {
        migrated.complete(Database.migrate(settings.database(), settings.serviceName(),
            "classpath:db/migration/platform", "classpath:db/migration/" + settings.serviceName()));
      } catch (Throwable e) {
        migrated.fail(e);
      }
    }, settings.serviceName() + "-migration");
    migration.setDaemon(true);
    migration.start();
    return migrated.future();
  }

  private Future<ServiceHost> deploy(Module module, TransactionalOutbox outbox) {
    Vertx vertx = node.vertx();
    HttpApiVerticle http = new HttpApiVerticle(settings.cluster().host(), settings.httpPort(),
        Duration.ofMillis(Math.max(settings.shutdownGraceMs(), 1_000)), v -> router(v, module, outbox));
    servedBy = settings.serviceName() + "/" + registration.instanceId();
    OutboxMetrics metrics = new OutboxMetrics(settings.serviceName());
    List<Deployable> verticles = new ArrayList<>(List.of(
        new OutboxRelay(database, settings.serviceName(), settings.outbox(), metrics),
        new InboxConsumer(settings.serviceName(), module.inboxAddress(), outbox, module.eventHandler(),
            settings.haltAfterApply()),
        new OutboxHousekeeping(outbox, settings.outbox(), metrics),
        new StaleRecordJanitor(node, discovery, StaleRecordJanitor.DEFAULT_INTERVAL_MS)));
    verticles.addAll(module.verticles());
    verticles.add(http);
    Future<Void> all = Future.succeededFuture();
    for (Deployable verticle : verticles) {
      all = all.compose(v -> vertx.deployVerticle(verticle).mapEmpty());
    }
    return all
        .compose(v -> {
          ready = true; // consumers registered, API listening: only now may the gateway route here
          return registration.publish(settings.serviceName(), settings.cluster().host(), http.actualPort(), node.nodeId())
              .onSuccess(record -> registration.keepPublished(vertx, StaleRecordJanitor.DEFAULT_INTERVAL_MS));
        })
        .map(record -> this);
  }

  private Router router(Vertx vertx, Module module, TransactionalOutbox outbox) {
    Router router = Router.router(vertx);
    router.route().handler(Draining.closeConnectionsWhile(() -> stopping));
    router.route().handler(RequestTargets::requireDecodable);
    router.route().handler(RequestIds::assign);
    router.route().handler(ctx -> {
      // Which instance answered: lets a client (and the tests) see the gateway's round-robin at work.
      ctx.response().putHeader(SERVED_BY, servedBy);
      ctx.next();
    });
    router.route().handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES));
    router.get("/metrics").handler(PrometheusScrapingHandler.create());
    // Identity is never taken on trust: whoever reaches this port, through the gateway or not, shows a valid token.
    router.route("/api/*").handler(Authentication.bearer(tokens));
    router.route("/admin/*").handler(Authentication.bearer(tokens)).handler(Authentication.adminOnly());
    new OperatorRoutes(outbox, this::notReadyReason).mount(router);
    module.mountApi(router);
    router.route().last().handler(ctx -> Problems.send(ctx.response(), 404,
        "no route for " + ctx.request().method() + " " + ctx.request().path()));
    router.route().failureHandler(Problems::handleFailure);
    return router;
  }

  private String notReadyReason() {
    return ready ? null : settings.serviceName() + " is starting or stopping";
  }

  /** Unpublish, let in-flight requests finish, then leave the cluster and close the database. */
  public Future<Void> stop() {
    ready = false;
    stopping = true; // answers from now on say Connection: close, so no client reuses a connection about to close
    Vertx vertx = node.vertx();
    log.info("stopping {}: unpublishing, then draining for {} ms", settings.serviceName(), settings.shutdownGraceMs());
    Promise<Void> drained = Promise.promise();
    registration.unpublish()
        .onFailure(e -> log.warn("unpublish failed (the janitors will remove the record): {}", e.toString()))
        .onComplete(ar -> vertx.setTimer(Math.max(1, settings.shutdownGraceMs()), id -> drained.complete()));
    return drained.future()
        .compose(v -> {
          discovery.close();
          return vertx.close();
        })
        .onComplete(ar -> {
          database.close();
          log.info("{} stopped", settings.serviceName());
        });
  }

  private void stopAndWait() {
    try {
      stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("shutdown did not complete cleanly: {}", e.toString());
    }
  }

  public ClusterNode node() {
    return node;
  }

  public Database database() {
    return database;
  }
}
