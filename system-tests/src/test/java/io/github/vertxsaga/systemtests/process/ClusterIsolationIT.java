package io.github.vertxsaga.systemtests.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.servicediscovery.Record;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("Cluster names")
class ClusterIsolationIT {
  private static final Duration START = Duration.ofSeconds(90);

  @RegisterExtension
  final ProcessCluster cluster = new ProcessCluster();

  @Test
  @DisplayName("a node with another CLUSTER_NAME on the same ports and seeds forms a cluster of its own")
  void anotherClusterNameDoesNotJoin() {
    ObserverNode observer = cluster.observer(); // takes the first port of the block: every seed list reaches it
    ServiceProcess inCluster = cluster.start(Service.INVENTORY, "inventory-a");
    inCluster.awaitReady(START);
    // Same port base and seeds, another name: it finds the members of the first cluster and must not join them.
    ServiceProcess outsider = cluster.start(Service.INVENTORY, "inventory-b",
        Map.of("CLUSTER_NAME", cluster.clusterName() + "-other"));
    outsider.awaitReady(START);

    String insider = inCluster.instanceId();
    List<Record> records = observer.records("inventory-service");
    assertThat(records).as("inventory records seen in the first cluster").hasSize(1);
    assertThat(records.get(0).getMetadata().getString("instance")).isEqualTo(insider);
    assertThat(observer.members()).as("members of the first cluster").hasSize(2);

    assertThat(outsider.logContains("Members {size:1,")).as("the outsider's log shows a cluster of 1 member").isTrue();
    assertThat(outsider.logLines()).as("the outsider never saw more members").noneMatch(line ->
        line.matches(".*Members \\{size:[2-9].*"));
    assertThat(inCluster.logLines()).as("the first cluster never grew to 3").noneMatch(line ->
        line.matches(".*Members \\{size:[3-9].*"));
    assertThat(Http.get(outsider.uri("/ready")).status()).isEqualTo(200);
  }
}
