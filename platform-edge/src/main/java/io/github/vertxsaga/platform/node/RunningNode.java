package io.github.vertxsaga.platform.node;

import io.github.vertxsaga.platform.cluster.ClusterNode;
import io.vertx.core.Future;

/** A started node: what it runs on, and how to stop it the one way every node stops. */
public interface RunningNode {
  ClusterNode node();

  NodeState state();

  /** Unpublish, drain for the grace period, undeploy every verticle, leave the cluster, release what was prepared. */
  Future<Void> stop();
}
