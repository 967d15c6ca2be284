package io.github.vertxsaga.platform.cluster;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import io.github.vertxsaga.platform.config.ClusterSettings;
import io.github.vertxsaga.platform.tls.NodeCredentials;
import io.github.vertxsaga.platform.tracing.NodeTracing;
import io.github.vertxsaga.platform.tracing.TracingSettings;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.spi.cluster.NodeInfo;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A clustered Vert.x on Hazelcast, joined over TCP with an explicit member list or, in Kubernetes, through the DNS name
 * of a headless Service that lists every member's pod.
 *
 * <p>Hazelcast's defaults suit long-lived data grids, not services that restart: it waits 5 s before joining and keeps
 * a silent member for 60 s, and looks for the other half of a split every 120 s. Here a node joins at once (through
 * DNS: as soon as the name lists a peer, alone after 5 s at most), a member silent for 5 s is dropped, so the
 * survivors and the gateway forget a {@code kill -9}'d instance within 10 s, and the halves of a healed split merge
 * within 3 s.
 *
 * <p>Its sockets (HTTP servers and clients, the event bus) run on Netty's native epoll transport where it loads (Linux
 * on x86-64), on NIO elsewhere: epoll reads and writes with fewer system calls and copies per request, which under
 * the gateway's load was the largest share of its CPU. Which one is in use is logged once at start.
 */
public record ClusterNode(Vertx vertx, HazelcastClusterManager clusterManager, NodeCredentials credentials,
                          NodeTracing tracing) {

  static final int PORT_RANGE = 20;
  /**
   * How often a member checks that its attestation, its event-bus consumers and its node info are still in the
   * cluster's maps (a merge, or a member that lost sight of it for a moment, may drop them), and reads again who
   * consumes each address its event bus sends to.
   */
  static final long ATTESTATION_CHECK_MS = 2_000;
  /** How long a node joining through DNS looks for peers before it starts alone; it stops at the first found. */
  static final int DISCOVERY_WAIT_SECONDS = 5;
  /** How often the master looks for another cluster of the same name to merge with (a healed split). */
  static final int MERGE_CHECK_SECONDS = 2;
  /** How long a remote Hazelcast operation may go without an answer or a heartbeat before it is retried. */
  static final long CALL_TIMEOUT_MS = 5_000;
  /**
   * How long the master waits for one partition migration before it counts it failed (Hazelcast: 300 s). The
   * cluster's maps hold kilobytes, so a migration takes milliseconds; but one whose member was dropped in the middle of
   * it (a member suspected while the partitions of a frozen one were moving) waited out the whole default, and the
   * master repaired nothing until then: for five minutes the partitions that member had owned stayed assigned to it,
   * and every read of the subscription and discovery maps that fell in them failed with "Not Member!" over and over.
   */
  static final int MIGRATION_TIMEOUT_SECONDS = 10;
  /**
   * How often the event bus pings each peer it holds a connection to, and how long it waits for the pong before it
   * closes the connection (Vert.x: 20 s and 20 s). Nothing else closes it: Vert.x keeps a connection to a peer that
   * Hazelcast dropped and took back after a partition, and messages written to it after the heal vanish until the
   * ping notices. With these, a connection that went stale during a partition is replaced within 4 s of the heal.
   */
  static final long EVENTBUS_PING_MS = 1_000;
  static final long EVENTBUS_PING_REPLY_MS = 3_000;
  /**
   * How long the event bus tries to open a connection to a peer (Vert.x: 60 s). Every message to that peer waits in
   * the connection's queue meanwhile. One begun while the peer's host was cut off sat out TCP's SYN retransmissions
   * (1, 3, 7, 15, 31 s ...) and held every message to that peer, those sent after the heal too, for up to ten seconds
   * after it; a connect within a deployment takes milliseconds, and a failed one is tried again at the next message.
   */
  static final int EVENTBUS_CONNECT_TIMEOUT_MS = 2_000;
  private static final Logger log = LoggerFactory.getLogger(ClusterNode.class);

  /** A node whose spans are not kept (tests' observers and intruders). */
  public ClusterNode(Vertx vertx, HazelcastClusterManager clusterManager, NodeCredentials credentials) {
    this(vertx, clusterManager, credentials, NodeTracing.start(TracingSettings.off("untraced")));
  }

  /** As {@link #start(ClusterSettings, NodeCredentials, NodeTracing)}, keeping no spans. */
  public static Future<ClusterNode> start(ClusterSettings settings, NodeCredentials credentials) {
    return start(settings, credentials, NodeTracing.start(TracingSettings.off("untraced")));
  }

  /**
   * Joins with {@code credentials} on the event bus: TLS both ways, a certificate of the CA required of every peer.
   * {@code tracing} traces its HTTP servers and clients; the caller closes it after the node's Vert.x.
   */
  public static Future<ClusterNode> start(ClusterSettings settings, NodeCredentials credentials, NodeTracing tracing) {
    String address;
    try {
      address = InetAddress.getByName(settings.host()).getHostAddress();
    } catch (UnknownHostException e) {
      return Future.failedFuture(new IllegalArgumentException("CLUSTER_HOST '" + settings.host() + "' does not resolve", e));
    }
    HazelcastClusterManager manager = new HazelcastClusterManager(hazelcastConfig(settings, address));
    VertxOptions options = new VertxOptions()
        .setPreferNativeTransport(true) // Vert.x falls back to NIO by itself where the native library cannot load
        .setEventBusOptions(credentials.applyTo(eventBusOptions(settings, address)))
        // HTTP server and client, event bus and pool metrics, scraped at /metrics in Prometheus format.
        .setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true).setJvmMetricsEnabled(true)
            .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true)));
    if (!credentials.enabled()) {
      return Vertx.builder().with(options).withTracer(tracing.vertxTracer()).withClusterManager(manager).buildClustered()
          .compose(vertx -> vertx.executeBlocking(() -> {
            NodeInfo own = manager.getNodeInfo();
            AtomicBoolean checking = new AtomicBoolean();
            vertx.setPeriodic(ATTESTATION_CHECK_MS, id -> {
              if (checking.compareAndSet(false, true)) {
                reassertNodeInfo(manager, own).onComplete(done -> checking.set(false));
              }
            });
            return new ClusterNode(logTransport(vertx), manager, credentials, tracing);
          }));
    }
    TrustedMembers trusted = new TrustedMembers(manager, credentials.settings(), credentials.cas());
    return Vertx.builder().with(options).withTracer(tracing.vertxTracer()).withClusterManager(trusted).buildClustered()
        .compose(vertx -> vertx.executeBlocking(() -> {
          trusted.attest();
          NodeInfo own = manager.getNodeInfo();
          // The lookups below run on workers: a check starts only once the one before it has had its answers, so
          // a cluster that holds calls up (a partition, a merge) never has them pile up into the worker pool.
          AtomicBoolean checking = new AtomicBoolean();
          vertx.setPeriodic(ATTESTATION_CHECK_MS, id -> {
            trusted.reassert();
            if (checking.compareAndSet(false, true)) {
              Future.join(trusted.reassertRegistrations(), trusted.refreshRegistrations(), reassertNodeInfo(manager, own))
                  .onComplete(done -> checking.set(false));
            }
          });
          return new ClusterNode(logTransport(vertx), manager, credentials, tracing);
        }).recover(e -> vertx.close().transform(closed -> Future.failedFuture(e))));
  }

  /**
   * Puts this member's node info (the address of its event-bus server) back in the cluster's map when it is missing.
   * The members that saw it leave (frozen past failure detection, or cut off) removed it, and Vert.x's Hazelcast
   * cluster manager does not write it again when the member comes back through a merge: every peer that then opens a
   * new event-bus connection to it fails with "Not a member of the cluster", so it would receive no event until a
   * restart. Asynchronous (the lookup runs on a worker): safe on an event loop. {@code own} is read once at start, on
   * a worker: the cluster manager's {@code getNodeInfo()} is synchronized with its membership handling, which holds
   * the lock through blocking cluster calls for as long as a partition lasts, and an event loop must not wait for it.
   */
  static Future<Void> reassertNodeInfo(HazelcastClusterManager manager, NodeInfo own) {
    if (!manager.isActive()) {
      return Future.succeededFuture();
    }
    Promise<Void> checked = Promise.promise();
    manager.getNodeInfo(manager.getNodeId(), (found, failure) -> {
      checked.complete();
      if (failure == null && found != null || !manager.isActive()) {
        return;
      }
      log.warn("this member's node info (its event-bus address) was missing from the cluster's map: putting it back "
          + "(node {})", manager.getNodeId());
      manager.setNodeInfo(own, (ok, e) -> {
        if (e != null) {
          log.warn("putting this member's node info back failed, retrying on the next check: {}", e.toString());
        }
      });
    });
    return checked.future();
  }

  /** "epoll", or "nio" with the reason the native transport could not be used. */
  public static String transport(Vertx vertx) {
    if (vertx.isNativeTransportEnabled()) {
      return "epoll";
    }
    Throwable cause = vertx.unavailableNativeTransportCause();
    return "nio (native transport unavailable: " + (cause == null ? "not requested" : cause.toString()) + ")";
  }

  private static Vertx logTransport(Vertx vertx) {
    log.info("network transport: {}", transport(vertx));
    return vertx;
  }

  static Config hazelcastConfig(ClusterSettings settings, String address) {
    Config config = ConfigUtil.loadConfig(); // keeps the map settings Vert.x needs (__vertx.subs, ...)
    config.setClusterName(settings.name());
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    // The service's own shutdown hook leaves the cluster after it has unpublished itself; Hazelcast's must not race it.
    config.setProperty("hazelcast.shutdownhook.enabled", "false");
    config.setProperty("hazelcast.wait.seconds.before.join", "0");
    config.setProperty("hazelcast.max.wait.seconds.before.join", "0");
    config.setProperty("hazelcast.heartbeat.interval.seconds", "1");
    config.setProperty("hazelcast.max.no.heartbeat.seconds", "5");
    config.setProperty("hazelcast.merge.first.run.delay.seconds", "5");
    // After a network heals, the halves find each other at the next split-brain check: every 2 s rather than 5 s (a
    // check pings the few members listed in CLUSTER_MEMBERS), so that a merge follows a heal within 3 s.
    config.setProperty("hazelcast.merge.next.run.delay.seconds", String.valueOf(MERGE_CHECK_SECONDS));
    // A merge can leave an invocation waiting on a member that will never answer it (its target reset its identity
    // while merging): Hazelcast retries it only once the call timeout has passed without an answer or an operation
    // heartbeat. At the default 60 s a gateway's discovery reads, and the event bus's subscription lookups, hung for
    // most of a minute after the merge that followed a frozen member's return; a running operation still heartbeats.
    config.setProperty("hazelcast.operation.call.timeout.millis", String.valueOf(CALL_TIMEOUT_MS));
    config.setProperty("hazelcast.partition.migration.timeout", String.valueOf(MIGRATION_TIMEOUT_SECONDS));
    config.setProperty("hazelcast.socket.bind.any", "false");
    config.setProperty("hazelcast.local.localAddress", address);

    NetworkConfig network = config.getNetworkConfig();
    network.setPort(settings.port()).setPortAutoIncrement(true).setPortCount(PORT_RANGE);
    network.getInterfaces().setEnabled(true).setInterfaces(List.of(address));
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    switch (settings.join()) {
      case TCP -> join.getTcpIpConfig().setEnabled(true).setConnectionTimeoutSeconds(2).setMembers(settings.members());
      case KUBERNETES_DNS -> {
        // Hazelcast's discovery joiner looks for peers only for this long before a first join, not at all with 0: the
        // pod would start a cluster of its own, merged 5 s later, and a merge gives the member a new identity.
        config.setProperty("hazelcast.wait.seconds.before.join", String.valueOf(DISCOVERY_WAIT_SECONDS));
        join.getTcpIpConfig().setEnabled(false);
        // DNS lookup gives addresses only; each is tried on CLUSTER_PORT, where Hazelcast's default would be 5701.
        join.getKubernetesConfig().setEnabled(true)
            .setProperty("service-dns", settings.serviceDns())
            .setProperty("service-port", String.valueOf(settings.port()));
      }
    }
    return config;
  }

  /** The event bus on the advertised address; a fixed port ({@code EVENTBUS_PORT}) is one a firewall can open. */
  static EventBusOptions eventBusOptions(ClusterSettings settings, String address) {
    return new EventBusOptions().setHost(address).setClusterPublicHost(address).setPort(settings.eventBusPort())
        .setClusterPingInterval(EVENTBUS_PING_MS)
        .setClusterPingReplyInterval(EVENTBUS_PING_REPLY_MS)
        .setConnectTimeout(EVENTBUS_CONNECT_TIMEOUT_MS);
  }

  public String nodeId() {
    return clusterManager.getNodeId();
  }

  public List<String> members() {
    return clusterManager.getNodes();
  }

  /** Runs {@code action} on the Vert.x context whenever a member leaves or crashes. */
  public void onMemberRemoved(Runnable action) {
    clusterManager.getHazelcastInstance().getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        vertx.runOnContext(v -> action.run());
      }
    });
  }
}
