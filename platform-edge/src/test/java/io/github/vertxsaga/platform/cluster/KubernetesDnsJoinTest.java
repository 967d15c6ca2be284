package io.github.vertxsaga.platform.cluster;

import static io.github.vertxsaga.platform.testing.Eventually.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.platform.config.ClusterSettings;
import io.github.vertxsaga.platform.testing.Eventually;
import io.github.vertxsaga.platform.testing.TestCertificates;
import io.github.vertxsaga.platform.tls.NodeCredentials;
import io.github.vertxsaga.platform.tls.TlsSettings;
import io.vertx.core.eventbus.DeliveryOptions;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Real members joined the way the Kubernetes manifests join them: Hazelcast's DNS lookup, here of {@code localhost}
 * where a pod would look up the headless Service, and the event bus on a fixed port, as a NetworkPolicy needs it.
 */
@DisplayName("A node joining through a DNS name")
class KubernetesDnsJoinTest {
  private static final String DNS_NAME = "localhost";
  private final List<ClusterNode> nodes = new ArrayList<>();

  @AfterEach
  void leave() {
    nodes.forEach(node -> result(node.vertx().close()));
  }

  @Test
  @DisplayName("finds the member already there, and they exchange events over TLS on their fixed event-bus ports")
  void joinsAndTalks() throws Exception {
    String cluster = "dns-test-" + UUID.randomUUID();
    int hazelcastPort = freePort();
    int firstBus = freePort();
    int secondBus = freePort();
    ClusterNode inventory = join(cluster, hazelcastPort, firstBus, "inventory-service");
    // The DNS name gives 127.0.0.1 only, tried on CLUSTER_PORT: the second member, on the next port, finds the first.
    ClusterNode order = join(cluster, hazelcastPort, secondBus, "order-service");
    assertThat(order.members()).as("members the second saw when it joined: one cluster, not two merged later")
        .hasSize(2);

    result(inventory.vertx().eventBus().<String>consumer("inventory.events", message -> message.reply("reserved"))
        .completion());
    // The subscription reaches the other member through the cluster's map, a moment after the consumer is registered.
    DeliveryOptions quick = new DeliveryOptions().setSendTimeout(3_000);
    String answer = Eventually.value("an answer from the other member", Eventually.DEFAULT_LIMIT, () ->
        Optional.of(result(order.vertx().eventBus().<String>request("inventory.events", "OrderPlaced", quick)).body()));

    assertThat(answer).isEqualTo("reserved");
    for (int port : List.of(firstBus, secondBus)) {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 2_000); // refused unless the event bus listens there
      }
    }
  }

  private ClusterNode join(String cluster, int port, int eventBusPort, String name) throws Exception {
    TlsSettings tls = TestCertificates.settings(name);
    ClusterSettings settings = new ClusterSettings(cluster, "127.0.0.1", port, List.of(), tls,
        ClusterSettings.Join.KUBERNETES_DNS, DNS_NAME, eventBusPort);
    // A first member waits some seconds for peers that are not there; on a busy machine a join takes longer still.
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
