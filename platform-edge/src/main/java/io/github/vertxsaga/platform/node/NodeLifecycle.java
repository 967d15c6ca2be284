package io.github.vertxsaga.platform.node;

import io.github.vertxsaga.platform.cluster.ClusterNode;
import io.github.vertxsaga.platform.discovery.ServiceRegistration;
import io.github.vertxsaga.platform.discovery.StaleRecordJanitor;
import io.github.vertxsaga.platform.tls.NodeCredentials;
import io.github.vertxsaga.platform.tracing.NodeTracing;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.servicediscovery.ServiceDiscovery;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one life of every node, service or gateway. Start: join the cluster while the role prepares (migrates), deploy
 * the role's verticles and the discovery janitor, then publish. Stop, on SIGTERM: unpublish, drain, undeploy, leave,
 * release. A failure anywhere in the start leaves nothing behind: one clean-up path closes what was opened.
 */
public final class NodeLifecycle<R extends AutoCloseable> implements RunningNode {
  private static final Logger log = LoggerFactory.getLogger(NodeLifecycle.class);

  private final NodeRole<R> role;
  private final NodeState state = new NodeState();
  private ClusterNode node;
  private NodeTracing tracing;
  private R prepared;
  private ServiceDiscovery discovery;
  private ServiceRegistration registration;

  private NodeLifecycle(NodeRole<R> role) {
    this.role = role;
  }

  /** Starts the node from a {@code main}: stops it on SIGTERM, exits the JVM with the reason when it cannot start. */
  public static void launch(NodeRole<?> role) {
    long started = System.nanoTime();
    start(role)
        .onSuccess(running -> {
          Runtime.getRuntime().addShutdownHook(new Thread(() -> stopAndWait(running, role), role.identity().name() + "-shutdown"));
          log.info("{} ready in {} ms", role.identity().name(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        })
        .onFailure(e -> {
          log.error("{} failed to start: {}", role.identity().name(), e.toString(), e);
          System.exit(1);
        });
  }

  public static <R extends AutoCloseable> Future<RunningNode> start(NodeRole<R> role) {
    return new NodeLifecycle<>(role).start();
  }

  private Future<RunningNode> start() {
    log.info("starting {} cluster={} host={} members={}", role.identity().name(), role.identity().cluster().name(), role.identity().cluster().host(),
        role.identity().cluster().members());
    NodeCredentials credentials;
    try {
      credentials = NodeCredentials.load(role.identity().name(), role.identity().cluster().tls());
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e); // before anything is opened: nothing to clean up
    }
    tracing = NodeTracing.start(role.identity().tracing());
    Future<R> preparing = prepareBesideTheJoin();
    Future<ClusterNode> joining = ClusterNode.start(role.identity().cluster(), credentials, tracing);
    return Future.all(preparing, joining)
        .compose(both -> {
          prepared = preparing.result();
          node = joining.result();
          discovery = ServiceDiscovery.create(node.vertx());
          registration = new ServiceRegistration(discovery, state.instanceId());
          return node.vertx().deployVerticle(new StaleRecordJanitor(node, discovery, StaleRecordJanitor.DEFAULT_INTERVAL_MS));
        })
        .compose(janitor -> role.deploy(node, prepared, state))
        .compose(this::publish)
        .<RunningNode>map(this)
        .recover(failure -> release(preparing, joining).transform(ignored -> Future.failedFuture(failure)));
  }

  /**
   * Runs the role's blocking preparation on a start-up thread of its own. Vert.x, and its worker pool, exist only
   * once the join completes, so they cannot run it; the thread ends with the preparation.
   */
  private Future<R> prepareBesideTheJoin() {
    ExecutorService startup = Executors.newSingleThreadExecutor(task -> {
      Thread thread = new Thread(task, role.identity().name() + "-prepare");
      thread.setDaemon(true);
      return thread;
    });
    CompletableFuture<R> preparation = CompletableFuture.supplyAsync(() -> {
      try {
        return role.prepare();
      } catch (Exception e) {
        throw new IllegalStateException(role.identity().name() + " could not prepare: " + e.getMessage(), e);
      }
    }, startup);
    preparation.whenComplete((result, failure) -> startup.shutdown());
    return Future.fromCompletionStage(preparation).recover(e -> Future.failedFuture(
        e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e));
  }

  private Future<Void> publish(Optional<NodeRole.Endpoint> endpoint) {
    state.markReady(); // consumers registered, servers listening: only now may the gateway route here
    if (endpoint.isEmpty()) {
      return Future.succeededFuture();
    }
    return registration.publish(role.identity().name(), endpoint.get().host(), endpoint.get().port(), node.nodeId())
        .onSuccess(record -> registration.keepPublished(node.vertx(), ServiceRegistration.RECORD_CHECK_MS))
        .mapEmpty();
  }

  /** After a failed start: leave the cluster if joined, close what the preparation opened, whichever got that far. */
  private Future<Void> release(Future<R> preparing, Future<ClusterNode> joining) {
    Future<Void> left = joining.transform(joined -> joined.succeeded()
        ? joined.result().vertx().close()
        : Future.succeededFuture());
    return Future.join(left, preparing).transform(ignored -> {
      if (preparing.succeeded()) {
        closeQuietly(preparing.result());
      }
      closeQuietly(tracing);
      return Future.succeededFuture();
    });
  }

  @Override
  public Future<Void> stop() {
    Vertx vertx = node.vertx();
    state.markDraining(); // answers from now on say Connection: close, so no client reuses a connection about to close
    log.info("stopping {}: draining for {} ms, after unpublishing", role.identity().name(), role.identity().shutdownGraceMs());
    Promise<Void> drained = Promise.promise();
    registration.unpublish()
        .onFailure(e -> log.warn("unpublish failed (the janitors will remove the record): {}", e.toString()))
        .onComplete(ar -> vertx.setTimer(Math.max(1, role.identity().shutdownGraceMs()), id -> drained.complete()));
    return drained.future()
        .compose(v -> {
          discovery.close();
          return vertx.close(); // undeploys every verticle (servers finish what is in flight), then leaves
        })
        .onComplete(ar -> {
          closeQuietly(prepared);
          closeQuietly(tracing); // exports the spans still buffered
          log.info("{} stopped", role.identity().name());
        });
  }

  private static void stopAndWait(RunningNode running, NodeRole<?> role) {
    try {
      running.stop().toCompletionStage().toCompletableFuture()
          .get(role.identity().shutdownGraceMs() + 30_000, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      log.warn("{} shutdown did not complete cleanly: {}", role.identity().name(), e.toString());
    }
  }

  private void closeQuietly(AutoCloseable resource) {
    try {
      resource.close();
    } catch (Exception e) {
      log.warn("{}: closing {} failed: {}", role.identity().name(), resource, e.toString());
    }
  }

  @Override
  public ClusterNode node() {
    return node;
  }

  @Override
  public NodeState state() {
    return state;
  }
}
