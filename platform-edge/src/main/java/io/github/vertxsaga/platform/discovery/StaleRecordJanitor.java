package io.github.vertxsaga.platform.discovery;

import io.github.vertxsaga.platform.cluster.ClusterNode;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.servicediscovery.Record;
import io.vertx.servicediscovery.ServiceDiscovery;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes the discovery records of cluster members that left or crashed. Vert.x service discovery never expires a
 * record on its own, so without this a {@code kill -9}'d instance would stay UP forever. Runs on every node, on each
 * membership change and periodically (a removal may race a record being published); unpublishing twice is harmless.
 */
public final class StaleRecordJanitor extends VerticleBase {
  public static final long DEFAULT_INTERVAL_MS = 2_000;
  private static final Logger log = LoggerFactory.getLogger(StaleRecordJanitor.class);

  private final ClusterNode node;
  private final ServiceDiscovery discovery;
  private final long intervalMs;
  private boolean sweeping; // guarded by this
  private boolean again; // guarded by this

  public StaleRecordJanitor(ClusterNode node, ServiceDiscovery discovery, long intervalMs) {
    this.node = node;
    this.discovery = discovery;
    this.intervalMs = intervalMs;
  }

  @Override
  public Future<?> start() {
    node.onMemberRemoved(this::sweep);
    vertx.setPeriodic(intervalMs, id -> sweep());
    return Future.succeededFuture();
  }

  /**
   * Reads the records, and only then the members they are judged against. The other way round, a read that is slow
   * (a loaded or recovering cluster) could return the record of a node that joined after the members were read, and
   * remove the record of a live instance.
   */
  synchronized void sweep() {
    // One sweep at a time, and one more after it when asked meanwhile (a member left): a cluster that holds reads up
    // would otherwise gather one per tick and per departure on the worker pool.
    if (sweeping) {
      again = true;
      return;
    }
    sweeping = true;
    discovery.getRecords(record -> true, true)
        .compose(records -> {
          Set<String> members = new HashSet<>(node.members());
          return unpublishAll(records.stream().filter(record -> isStale(record, members)).toList());
        })
        .onFailure(e -> log.warn("discovery sweep failed: {}", e.toString()))
        .onComplete(done -> swept());
  }

  private synchronized void swept() {
    sweeping = false;
    if (again) {
      again = false;
      sweep();
    }
  }

  private static boolean isStale(Record record, Set<String> members) {
    String owner = record.getMetadata() == null ? null : record.getMetadata().getString(ServiceRegistration.NODE);
    return owner != null && !members.contains(owner);
  }

  private Future<Void> unpublishAll(List<Record> stale) {
    return Future.join(stale.stream().map(record -> discovery.unpublish(record.getRegistration())
        .onSuccess(v -> log.info("removed stale record service={} endpoint={}:{} node={} (member left the cluster)",
            record.getName(), record.getLocation().getString("host"), record.getLocation().getInteger("port"),
            record.getMetadata().getString(ServiceRegistration.NODE)))
        // Every node sweeps: after a member leaves, another's janitor has often removed the record first.
        .recover(e -> Future.<Void>succeededFuture())).toList())
        .mapEmpty();
  }
}
