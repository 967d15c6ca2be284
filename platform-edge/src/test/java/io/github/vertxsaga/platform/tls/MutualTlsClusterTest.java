package io.github.vertxsaga.platform.tls;

import static io.github.vertxsaga.platform.testing.Eventually.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.platform.cluster.ClusterNode;
import io.github.vertxsaga.platform.cluster.TrustedMembers;
import io.github.vertxsaga.platform.config.ClusterSettings;
import io.github.vertxsaga.platform.testing.Eventually;
import io.github.vertxsaga.platform.testing.TestCertificates;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Real Hazelcast members on loopback, the event bus with mutual TLS: members of the deployment's CA talk; a member
 * that joined Hazelcast with no certificate, or with one of another CA, neither receives nor delivers a message.
 */
@DisplayName("The event bus with mutual TLS")
class MutualTlsClusterTest {
  private static final String ADDRESS = "inventory.events";
  private static final String ANSWERS = "orders.events";
  private final List<ClusterNode> nodes = new ArrayList<>();

  @AfterEach
  void leave() {
    nodes.forEach(node -> result(node.vertx().close()));
  }

  @Test
  @DisplayName("delivers between members of the CA, and never to or from a member without one, though it joined")
  void intrudersNeitherReceiveNorSend() throws Exception {
    String cluster = "tls-test-" + UUID.randomUUID();
    int port = freePort();
    ClusterNode inventory = join(cluster, port, "inventory-service", TestCertificates.settings("inventory-service"));
    ClusterNode order = join(cluster, port, "order-service", TestCertificates.settings("order-service"));
    ClusterNode plain = join(cluster, port, "intruder", TlsSettings.OFF);
    ClusterNode foreign = join(cluster, port, "intruder", TestCertificates.foreign("inventory-service"));
    Eventually.until("four members", () -> inventory.members().size() == 4);

    AtomicInteger stolen = new AtomicInteger();
    AtomicInteger applied = new AtomicInteger();
    for (ClusterNode intruder : List.of(plain, foreign)) {
      result(intruder.vertx().eventBus().<String>consumer(ADDRESS, message -> {
        stolen.incrementAndGet();
        message.reply("applied");
      }).completion());
    }
    result(inventory.vertx().eventBus().<String>consumer(ADDRESS, message -> {
      applied.incrementAndGet();
      message.reply("applied by " + message.body());
    }).completion());
    AtomicInteger forgedApplied = new AtomicInteger();
    result(order.vertx().eventBus().<String>consumer(ANSWERS, message -> {
      forgedApplied.incrementAndGet();
      message.reply("applied");
    }).completion());

    DeliveryOptions quick = new DeliveryOptions().setSendTimeout(3_000);
    for (int i = 0; i < 20; i++) {
      // Every request of the real member is answered by the real consumer: the intruders' subscriptions are never
      // picked, so no request waits for a timeout either.
      assertThat(result(order.vertx().eventBus().<String>request(ADDRESS, "order-" + i, quick)).body())
          .isEqualTo("applied by order-" + i);
    }
    for (ClusterNode intruder : List.of(plain, foreign)) {
      Future<?> forged = intruder.vertx().eventBus().request(ANSWERS, "forged InventoryReserved", quick);
      Throwable refused = Eventually.failure(forged);
      assertThat(refused).as("a forged event from an intruder is answered by no member").isNotNull();
    }
    assertThat(applied.get()).isEqualTo(20);
    assertThat(stolen.get()).as("events an intruder received").isZero();
    assertThat(forgedApplied.get()).as("forged events a member applied").isZero();

    // Another member deletes inventory's attestation (a merge can lose it too): inventory puts it back, and the
    // events flow to it again instead of stopping for good.
    var attestations = order.clusterManager().getHazelcastInstance().<String, String>getMap(TrustedMembers.ATTESTATIONS);
    attestations.remove(inventory.nodeId());
    Eventually.until("inventory's attestation is back", () -> attestations.containsKey(inventory.nodeId()));
    Eventually.until("order-service delivers to inventory again", () -> answered(order));
    assertThat(applied.get()).isGreaterThanOrEqualTo(21);
  }

  @Test
  @DisplayName("forgets the attestation of a member that left, so the map does not grow with every restart")
  void departedMemberLeavesNoAttestation() throws Exception {
    String cluster = "tls-test-" + UUID.randomUUID();
    int port = freePort();
    ClusterNode order = join(cluster, port, "order-service", TestCertificates.settings("order-service"));
    ClusterNode inventory = join(cluster, port, "inventory-service", TestCertificates.settings("inventory-service"));
    var attestations = order.clusterManager().getHazelcastInstance().<String, String>getMap(TrustedMembers.ATTESTATIONS);
    Eventually.until("both attested", () -> attestations.containsKey(inventory.nodeId())
        && attestations.containsKey(order.nodeId()));

    // Killed rather than closed would be the same to the survivor: Hazelcast reports the member removed either way.
    String gone = inventory.nodeId();
    nodes.remove(inventory);
    result(inventory.vertx().close());
    Eventually.until("the departed member's attestation is removed", () -> !attestations.containsKey(gone));
    assertThat(attestations.keySet()).containsExactly(order.nodeId());
  }

  @Test
  @DisplayName("puts a member's node info back when the others removed it, as after it came back from a freeze")
  void lostNodeInfoIsPutBack() throws Exception {
    String cluster = "tls-test-" + UUID.randomUUID();
    int port = freePort();
    ClusterNode order = join(cluster, port, "order-service", TestCertificates.settings("order-service"));
    ClusterNode inventory = join(cluster, port, "inventory-service", TestCertificates.settings("inventory-service"));
    // Vert.x's map of members' event-bus addresses: what a peer reads to open a new connection to a member.
    var nodeInfo = order.clusterManager().getHazelcastInstance().getMap("__vertx.nodeInfo");
    Eventually.until("inventory's node info is in the map", () -> nodeInfo.containsKey(inventory.nodeId()));

    nodeInfo.remove(inventory.nodeId());
    Eventually.until("inventory put its node info back", () -> nodeInfo.containsKey(inventory.nodeId()));
    result(inventory.vertx().eventBus().<String>consumer(ADDRESS, message -> message.reply("applied")).completion());
    Eventually.until("order-service delivers to inventory over a connection opened after the loss",
        () -> answered(order));
  }

  /** Whether a request from {@code sender} to the consumers of {@link #ADDRESS} got an answer within seconds. */
  private static boolean answered(ClusterNode sender) {
    try {
      return sender.vertx().eventBus().<String>request(ADDRESS, "after", new DeliveryOptions().setSendTimeout(3_000))
          .await(5, TimeUnit.SECONDS) != null;
    } catch (Exception e) {
      return false;
    }
  }

  private ClusterNode join(String cluster, int port, String name, TlsSettings tls) throws Exception {
    ClusterSettings settings = new ClusterSettings(cluster, "127.0.0.1", port, List.of("127.0.0.1:" + port), tls);
    // A first member waits some seconds for seeds that are not there; on a busy machine a join takes longer still.
    ClusterNode node = ClusterNode.start(settings, NodeCredentials.load(name, tls)).await(90, TimeUnit.SECONDS);
    nodes.add(node);
    return node;
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
