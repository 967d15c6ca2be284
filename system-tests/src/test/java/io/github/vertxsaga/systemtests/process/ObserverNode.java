package io.github.vertxsaga.systemtests.process;

import io.github.vertxsaga.platform.cluster.ClusterNode;
import io.github.vertxsaga.platform.config.ClusterSettings;
import io.github.vertxsaga.platform.discovery.ServiceRegistration;
import io.github.vertxsaga.platform.tls.NodeCredentials;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.servicediscovery.Record;
import io.vertx.servicediscovery.ServiceDiscovery;
import io.vertx.servicediscovery.types.HttpEndpoint;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A member of a test's cluster inside the test JVM, to read (and for a fault, write) discovery records. It runs no
 * janitor: a record that disappears was removed by the service processes themselves.
 */
public final class ObserverNode implements AutoCloseable {
  private final ClusterNode node;
  private final ServiceDiscovery discovery;

  private ObserverNode(ClusterNode node) {
    this.node = node;
    this.discovery = ServiceDiscovery.create(node.vertx());
  }

  static ObserverNode join(ClusterSettings settings) {
    return new ObserverNode(await(ClusterNode.start(settings, NodeCredentials.load("observer", settings.tls()))));
  }

  /** This node's cluster id, what a record's {@code node} metadata names. */
  public String nodeId() {
    return node.nodeId();
  }

  public List<String> members() {
    return node.members();
  }

  /** Every UP record in the cluster's discovery. */
  public List<Record> records() {
    return await(discovery.getRecords(record -> true));
  }

  public List<Record> records(String serviceName) {
    return await(discovery.getRecords(record -> serviceName.equals(record.getName())));
  }

  /** The record an instance published, found by the instance id it also sends as {@code X-Served-By}. */
  public Optional<Record> recordOfInstance(String instanceId) {
    return records().stream()
        .filter(record -> record.getMetadata() != null
            && instanceId.equals(record.getMetadata().getString(ServiceRegistration.INSTANCE)))
        .findFirst();
  }

  /** Publishes an HTTP endpoint record owned by this node, so every janitor keeps it while the observer lives. */
  public Record publishHttpEndpoint(String serviceName, String host, int port) {
    JsonObject metadata = new JsonObject().put(ServiceRegistration.NODE, nodeId()).put(ServiceRegistration.INSTANCE,
        "observer-" + port);
    return await(discovery.publish(HttpEndpoint.createRecord(serviceName, host, port, "/", metadata)));
  }

  @Override
  public void close() {
    discovery.close();
    await(node.vertx().close());
  }

  private static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("observer node: " + e, e);
    }
  }
}
