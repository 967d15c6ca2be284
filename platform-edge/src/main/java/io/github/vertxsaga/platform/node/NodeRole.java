package io.github.vertxsaga.platform.node;

import io.github.vertxsaga.platform.cluster.ClusterNode;
import io.github.vertxsaga.platform.config.ClusterSettings;
import io.github.vertxsaga.platform.tracing.TracingSettings;
import io.vertx.core.Future;
import java.util.Optional;

/**
 * What one kind of node (a service, the gateway) adds to the common {@link NodeLifecycle}: the work it prepares while
 * the node joins, and the verticles it deploys once joined.
 *
 * @param <R> what {@link #prepare()} makes (a migrated database pool), released by the lifecycle after the node left
 */
public interface NodeRole<R extends AutoCloseable> {

  /** What the lifecycle itself needs to know of the node. */
  Identity identity();

  /**
   * Blocking start-up work that needs no cluster, such as migrating the database. It runs while the node joins:
   * at a cold start each takes seconds and neither needs the other.
   */
  R prepare() throws Exception;

  /**
   * Deploys the node's verticles on the joined node, with what {@link #prepare()} made. Completes when all of them
   * are up (consumers registered, servers listening), with the endpoint to publish in discovery, if any.
   */
  Future<Optional<Endpoint>> deploy(ClusterNode node, R prepared, NodeState state);

  /**
   * @param name            what the node logs and publishes under ({@code order-service}, {@code gateway})
   * @param cluster         how it joins
   * @param shutdownGraceMs on SIGTERM, how long it keeps answering (with {@code Connection: close}) before its servers
   *                        close
   * @param tracing         where its spans go ({@code OTEL_*})
   */
  record Identity(String name, ClusterSettings cluster, long shutdownGraceMs, TracingSettings tracing) {
  }

  /** An HTTP endpoint published in discovery under the role's name once the node is ready. */
  record Endpoint(String host, int port) {
  }
}
