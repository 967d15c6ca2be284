package io.github.vertxsaga.platform.discovery;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.servicediscovery.Record;
import io.vertx.servicediscovery.ServiceDiscovery;
import io.vertx.servicediscovery.types.HttpEndpoint;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** This instance's HTTP endpoint record: published once ready, unpublished first on shutdown. */
public final class ServiceRegistration {
  /** Metadata key of the cluster node that owns a record; the janitor removes records of departed nodes. */
  public static final String NODE = "node";
  public static final String INSTANCE = "instance";

  private static final Logger log = LoggerFactory.getLogger(ServiceRegistration.class);

  private final ServiceDiscovery discovery;
  private final String instanceId = UUID.randomUUID().toString();
  private volatile String registrationId;

  public ServiceRegistration(ServiceDiscovery discovery) {
    this.discovery = discovery;
  }

  public Future<Record> publish(String serviceName, String host, int port, String nodeId) {
    JsonObject metadata = new JsonObject()
        .put(NODE, nodeId)
        .put(INSTANCE, instanceId)
        .put("startedAt", System.currentTimeMillis());
    Record record = HttpEndpoint.createRecord(serviceName, host, port, "/", metadata);
    return discovery.publish(record).onSuccess(published -> {
      registrationId = published.getRegistration();
      log.info("published service={} endpoint=http://{}:{} node={} instance={}", serviceName, host, port, nodeId,
          instanceId);
    });
  }

  public Future<Void> unpublish() {
    String id = registrationId;
    if (id == null) {
      return Future.succeededFuture();
    }
    registrationId = null;
    return discovery.unpublish(id).onSuccess(v -> log.info("unpublished registration={}", id));
  }

  public String instanceId() {
    return instanceId;
  }
}
