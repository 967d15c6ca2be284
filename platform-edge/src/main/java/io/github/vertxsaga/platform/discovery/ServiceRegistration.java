package io.github.vertxsaga.platform.discovery;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.servicediscovery.Record;
import io.vertx.servicediscovery.ServiceDiscovery;
import io.vertx.servicediscovery.types.HttpEndpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** This instance's HTTP endpoint record: published once ready, unpublished first on shutdown. */
public final class ServiceRegistration {
  /** Metadata key of the cluster node that owns a record; the janitor removes records of departed nodes. */
  public static final String NODE = "node";
  public static final String INSTANCE = "instance";
  /**
   * How often an instance checks that its record is still in discovery. A merge of a split cluster keeps one half's
   * map, where the other half's janitor removed this record: until it is back, a gateway that knows no other instance
   * answers 503, so the check is cheap (one map read) and frequent.
   */
  public static final long RECORD_CHECK_MS = 1_000;

  private static final Logger log = LoggerFactory.getLogger(ServiceRegistration.class);

  private final ServiceDiscovery discovery;
  private final String instanceId;
  private volatile String registrationId;
  private volatile Record published;
  private boolean checking;

  public ServiceRegistration(ServiceDiscovery discovery) {
    this(discovery, UUID.randomUUID().toString());
  }

  /** @param instanceId this run of the instance, in the record's metadata */
  public ServiceRegistration(ServiceDiscovery discovery, String instanceId) {
    this.discovery = discovery;
    this.instanceId = instanceId;
  }

  public Future<Record> publish(String serviceName, String host, int port, String nodeId) {
    JsonObject metadata = new JsonObject()
        .put(NODE, nodeId)
        .put(INSTANCE, instanceId)
        .put("startedAt", System.currentTimeMillis());
    Record record = HttpEndpoint.createRecord(serviceName, host, port, "/", metadata);
    return discovery.publish(record).onSuccess(done -> {
      registrationId = done.getRegistration();
      published = done;
      log.info("published service={} endpoint=http://{}:{} node={} instance={}", serviceName, host, port, nodeId,
          instanceId);
    });
  }

  /**
   * Checks every {@code intervalMs}, until {@link #unpublish()}, that the record is still there, and publishes it
   * again if it is not; if there are several of this instance's records, it keeps one and removes the others. Records live in the cluster, not in this process: one may be lost while the instance lives on
   * (its node dropped from the cluster for a moment and merged back, and the janitors removed the records of the node
   * that had "left"); without this the gateways would never route to it again.
   */
  public void keepPublished(Vertx vertx, long intervalMs) {
    vertx.setPeriodic(intervalMs, id -> check());
  }

  private void check() {
    String id = registrationId;
    if (id == null || checking) {
      return; // not published (yet, or any more), or the previous check still runs
    }
    checking = true;
    discovery.getRecords(record -> record.getMetadata() != null
            && instanceId.equals(record.getMetadata().getString(INSTANCE)), true)
        .compose(mine -> {
          if (!id.equals(registrationId)) {
            return Future.succeededFuture(); // unpublished meanwhile: stopping
          }
          if (mine.isEmpty()) {
            return publishAgain(id);
          }
          // A merge may bring back a record this instance had already published again: one stays, ours if it is
          // there, and the others go, so that discovery lists each instance once.
          Record kept = mine.stream().filter(record -> id.equals(record.getRegistration())).findFirst()
              .orElse(mine.get(0));
          if (!kept.getRegistration().equals(id)) {
            registrationId = kept.getRegistration();
            published = kept;
          }
          List<Future<Void>> removed = new ArrayList<>();
          for (Record extra : mine) {
            if (extra != kept) {
              log.warn("removed a second record service={} instance={} registration={}: one record per instance",
                  extra.getName(), instanceId, extra.getRegistration());
              removed.add(discovery.unpublish(extra.getRegistration()));
            }
          }
          return Future.join(removed).<Void>mapEmpty();
        })
        .onFailure(e -> log.warn("checking the discovery record failed: {}", e.toString()))
        .onComplete(ar -> checking = false);
  }

  private Future<Void> publishAgain(String id) {
    Record lost = published;
    Record again = new Record(lost.toJson()).setRegistration(null);
    return discovery.publish(again).onSuccess(done -> {
      if (id.equals(registrationId)) {
        registrationId = done.getRegistration();
        published = done;
        log.warn("republished service={} instance={}: its record had disappeared from discovery",
            done.getName(), instanceId);
      } else {
        discovery.unpublish(done.getRegistration()); // unpublished meanwhile: stopping
      }
    }).mapEmpty();
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
