package io.github.vertxsaga.platform.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import io.github.vertxsaga.platform.config.ClusterSettings;
import io.github.vertxsaga.platform.config.Env;
import io.github.vertxsaga.platform.tls.TlsSettings;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The Hazelcast configuration each join mode builds from the environment, without starting a member. */
@DisplayName("How a node joins the cluster")
class ClusterJoinConfigTest {
  private static final String ADDRESS = "10.0.0.7";
  private static final String SERVICE_DNS = "vertx-saga-cluster.vertx-saga.svc.cluster.local";

  @Test
  @DisplayName("joins over TCP with CLUSTER_MEMBERS when CLUSTER_JOIN is not set, Kubernetes discovery off")
  void tcpByDefault() {
    ClusterSettings settings = settings(Map.of("CLUSTER_MEMBERS", "10.0.0.8:5701, 10.0.0.9"));
    JoinConfig join = ClusterNode.hazelcastConfig(settings, ADDRESS).getNetworkConfig().getJoin();

    assertThat(settings.join()).isEqualTo(ClusterSettings.Join.TCP);
    assertThat(join.getTcpIpConfig().isEnabled()).isTrue();
    assertThat(join.getTcpIpConfig().getMembers()).containsExactly("10.0.0.8:5701", "10.0.0.9");
    assertThat(join.getKubernetesConfig().isEnabled()).isFalse();
    assertThat(join.getMulticastConfig().isEnabled()).isFalse();
    join.verify();
  }

  @Test
  @DisplayName("with kubernetes-dns, finds its peers through the headless Service's DNS name on CLUSTER_PORT, TCP join off")
  void kubernetesDns() {
    ClusterSettings settings = settings(Map.of("CLUSTER_JOIN", "kubernetes-dns",
        "CLUSTER_KUBERNETES_SERVICE_DNS", SERVICE_DNS, "CLUSTER_PORT", "5801", "CLUSTER_MEMBERS", "10.0.0.8"));
    JoinConfig join = ClusterNode.hazelcastConfig(settings, ADDRESS).getNetworkConfig().getJoin();

    assertThat(join.getKubernetesConfig().isEnabled()).isTrue();
    assertThat(join.getKubernetesConfig().getProperties())
        .containsEntry("service-dns", SERVICE_DNS)
        .containsEntry("service-port", "5801");
    assertThat(join.getTcpIpConfig().isEnabled()).isFalse();
    assertThat(settings.members()).as("CLUSTER_MEMBERS, ignored in this mode").isEmpty();
    assertThat(join.getMulticastConfig().isEnabled()).isFalse();
    assertThat(join.getAutoDetectionConfig().isEnabled()).isFalse();
    join.verify(); // Hazelcast refuses a configuration with two join methods enabled
  }

  @Test
  @DisplayName("keeps the address, ports, timeouts and merge delays the same in either mode, and looks for peers before a "
      + "first join through DNS")
  void onlyTheJoinDiffers() {
    Config tcp = ClusterNode.hazelcastConfig(settings(Map.of()), ADDRESS);
    Config dns = ClusterNode.hazelcastConfig(settings(Map.of("CLUSTER_JOIN", "kubernetes-dns",
        "CLUSTER_KUBERNETES_SERVICE_DNS", SERVICE_DNS)), ADDRESS);

    Properties differing = new Properties();
    dns.getProperties().forEach((name, value) -> {
      if (!value.equals(tcp.getProperties().get(name))) {
        differing.put(name, value);
      }
    });
    assertThat(dns.getProperties().keySet()).isEqualTo(tcp.getProperties().keySet());
    // Hazelcast's discovery joiner looks for peers only during this wait: 0, as with TCP, would mean never.
    assertThat(differing).containsOnlyKeys("hazelcast.wait.seconds.before.join");
    assertThat(dns.getProperty("hazelcast.wait.seconds.before.join")).isEqualTo("5");
    assertThat(dns.getClusterName()).isEqualTo(tcp.getClusterName());
    assertThat(dns.getNetworkConfig().getPort()).isEqualTo(tcp.getNetworkConfig().getPort()).isEqualTo(5701);
    assertThat(dns.getNetworkConfig().getPortCount()).isEqualTo(tcp.getNetworkConfig().getPortCount());
    assertThat(dns.getNetworkConfig().getInterfaces().getInterfaces()).containsExactly(ADDRESS);
    assertThat(dns.getProperty("hazelcast.local.localAddress")).isEqualTo(ADDRESS);
  }

  @Test
  @DisplayName("bounds a partition migration at 10 s, so a member dropped in the middle of one holds up the repair of "
      + "the partition table for seconds, not Hazelcast's 5 minutes")
  void boundsPartitionMigrations() {
    Config config = ClusterNode.hazelcastConfig(settings(Map.of()), ADDRESS);

    assertThat(config.getProperty("hazelcast.partition.migration.timeout")).isEqualTo("10");
  }

  @Test
  @DisplayName("refuses kubernetes-dns without CLUSTER_KUBERNETES_SERVICE_DNS, naming the variable")
  void kubernetesDnsNeedsTheServiceName() {
    assertThatThrownBy(() -> settings(Map.of("CLUSTER_JOIN", "kubernetes-dns")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("CLUSTER_KUBERNETES_SERVICE_DNS");
  }

  @Test
  @DisplayName("refuses a service DNS name with the tcp join, where each pod would form a cluster of its own")
  void serviceNameWithTcpIsAMistake() {
    assertThatThrownBy(() -> settings(Map.of("CLUSTER_KUBERNETES_SERVICE_DNS", SERVICE_DNS)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("CLUSTER_JOIN");
  }

  @Test
  @DisplayName("refuses a join mode it does not know, naming CLUSTER_JOIN")
  void unknownJoin() {
    assertThatThrownBy(() -> settings(Map.of("CLUSTER_JOIN", "multicast")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("CLUSTER_JOIN")
        .hasMessageContaining("multicast");
  }

  @Test
  @DisplayName("listens for the event bus on EVENTBUS_PORT, on any free port when it is not set")
  void eventBusPort() {
    assertThat(ClusterNode.eventBusOptions(settings(Map.of()), ADDRESS).getPort()).isZero();
    assertThat(ClusterNode.eventBusOptions(settings(Map.of("EVENTBUS_PORT", "5801")), ADDRESS).getPort())
        .isEqualTo(5801);
    assertThat(ClusterNode.eventBusOptions(settings(Map.of()), ADDRESS).getHost()).isEqualTo(ADDRESS);
    assertThatThrownBy(() -> settings(Map.of("EVENTBUS_PORT", "70000")))
        .hasMessageContaining("EVENTBUS_PORT");
  }

  @Test
  @DisplayName("closes an event-bus connection whose peer stopped answering pings within seconds, not Vert.x's 40 s")
  void eventBusPing() {
    var options = ClusterNode.eventBusOptions(settings(Map.of()), ADDRESS);
    assertThat(options.getClusterPingInterval() + options.getClusterPingReplyInterval())
        .as("ping interval plus pong wait, ms").isLessThanOrEqualTo(5_000);
  }

  @Test
  @DisplayName("gives up an event-bus connection attempt after 2 s, not Vert.x's 60 s, so messages do not queue behind "
      + "one begun while the peer was cut off")
  void eventBusConnectTimeout() {
    var options = ClusterNode.eventBusOptions(settings(Map.of()), ADDRESS);
    assertThat(options.getConnectTimeout()).isEqualTo(2_000);
  }

  @Test
  @DisplayName("keeps the tcp join and a free event-bus port for settings made in code with a member list")
  void codeMadeSettings() {
    ClusterSettings settings = new ClusterSettings("c", "127.0.0.1", 5701, List.of("127.0.0.1"), TlsSettings.OFF);
    assertThat(settings.join()).isEqualTo(ClusterSettings.Join.TCP);
    assertThat(settings.eventBusPort()).isZero();
  }

  /** The settings a JVM with {@code variables} in its environment reads, TLS off: no certificate is read here. */
  private static ClusterSettings settings(Map<String, String> variables) {
    Map<String, String> environment = new HashMap<>(variables);
    environment.put("CLUSTER_TLS", "off");
    return ClusterSettings.from(new Env(environment));
  }
}
