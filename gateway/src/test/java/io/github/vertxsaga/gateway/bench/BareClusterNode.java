package io.github.vertxsaga.gateway.bench;

import io.github.vertxsaga.platform.cluster.ClusterNode;
import io.github.vertxsaga.platform.config.ClusterSettings;
import io.github.vertxsaga.platform.config.Env;
import io.github.vertxsaga.platform.tls.NodeCredentials;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * BENCHMARK ONLY: the peer that bin/bench's cold start is measured against: a clustered Vert.x node with the
 * product's Hazelcast and event-bus settings ({@link ClusterNode}, configured from the same variables, TLS included),
 * and nothing else: no database, no verticle. Once it counts {@code BENCH_EXPECTED_MEMBERS} members (itself
 * included) it logs {@code bare clustered node: N members at epoch_ms=T}; then it waits to be stopped.
 */
public final class BareClusterNode {
  private static final Logger log = LoggerFactory.getLogger(BareClusterNode.class);

  private BareClusterNode() {
  }

  public static void main(String[] args) {
    Env env = new Env(System.getenv());
    ClusterSettings settings = ClusterSettings.from(env);
    long expected = env.longValue("BENCH_EXPECTED_MEMBERS", 1, 1, 100);
    NodeCredentials credentials = NodeCredentials.load("gateway", settings.tls());
    ClusterNode.start(settings, credentials).onSuccess(node -> {
      log.info("bare clustered node started at epoch_ms={}", System.currentTimeMillis());
      node.vertx().setPeriodic(0, 10, id -> {
        int members = node.clusterManager().getNodes().size();
        if (members >= expected) {
          log.info("bare clustered node: {} members at epoch_ms={}", members, System.currentTimeMillis());
          node.vertx().cancelTimer(id);
        }
      });
    }).onFailure(e -> {
      log.error("bare clustered node failed to start", e);
      System.exit(1);
    });
  }
}
