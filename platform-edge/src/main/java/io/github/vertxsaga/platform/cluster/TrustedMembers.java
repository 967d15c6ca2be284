package io.github.vertxsaga.platform.cluster;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryMergedListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import io.github.vertxsaga.platform.tls.MemberAttestation;
import io.github.vertxsaga.platform.tls.TlsSettings;
import io.vertx.core.Completable;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.AsyncMap;
import io.vertx.core.shareddata.Counter;
import io.vertx.core.shareddata.Lock;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.core.spi.cluster.NodeInfo;
import io.vertx.core.spi.cluster.NodeListener;
import io.vertx.core.spi.cluster.RegistrationInfo;
import io.vertx.core.spi.cluster.RegistrationListener;
import io.vertx.core.spi.cluster.RegistrationUpdateEvent;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster as the event bus sees it: Hazelcast's, but with the consumers of members that have not proved they hold
 * a certificate of the deployment's CA left out. Hazelcast's open-source edition lets any process that knows the
 * cluster name join and register consumers in the subscription map; mutual TLS already stops such a member from
 * receiving a message, but the event bus would still pick it in its round-robin and the message would wait for the
 * sender's timeout. Here it is never picked: a message goes only to members whose {@link MemberAttestation} in the
 * shared map verifies against the CA.
 *
 * <p>A member that just joined is left out until its attestation arrives (milliseconds); its consumers are then
 * announced to the event bus at once. An intruder can still delete attestations from the map (denial of service, as
 * with any cluster map), never add one that verifies.
 */
public final class TrustedMembers implements ClusterManager {
  public static final String ATTESTATIONS = "__vertx-saga.member-attestations";
  /**
   * The member attribute under which Vert.x's Hazelcast cluster manager publishes a member's Vert.x node id. In
   * Vert.x 5 that id is a random UUID of its own, not the Hazelcast member's UUID: a membership event names the
   * member by the latter, the attestations are keyed by the former.
   */
  static final String VERTX_NODE_ID_ATTRIBUTE = "__vertx.nodeId";
  private static final Logger log = LoggerFactory.getLogger(TrustedMembers.class);

  private final HazelcastClusterManager hazelcast;
  private final TlsSettings tls;
  private final List<X509Certificate> cas;
  private final Set<String> trusted = ConcurrentHashMap.newKeySet();
  private final Map<String, List<RegistrationInfo>> lastSeen = new ConcurrentHashMap<>();
  /** This member's own consumers in the cluster's subscription map, by address, as the event bus registered them. */
  private final Map<String, Set<RegistrationInfo>> own = new ConcurrentHashMap<>();
  private volatile RegistrationListener eventBus;
  private volatile IMap<String, String> attestations;
  private volatile String ownEntry;

  TrustedMembers(HazelcastClusterManager hazelcast, TlsSettings tls, List<X509Certificate> cas) {
    this.hazelcast = hazelcast;
    this.tls = tls;
    this.cas = cas;
  }

  /**
   * Once joined: leaves this member's attestation in the shared map and follows everyone's. Blocking (Hazelcast map
   * calls): runs on a worker.
   */
  void attest() {
    String self = hazelcast.getNodeId();
    IMap<String, String> attestations = hazelcast.getHazelcastInstance().getMap(ATTESTATIONS);
    this.attestations = attestations;
    attestations.addEntryListener(new Follower(), true);
    hazelcast.getHazelcastInstance().getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        String gone = event.getMember().getAttribute(VERTX_NODE_ID_ATTRIBUTE);
        if (gone == null) {
          return; // a member that never started Vert.x: it has no attestation
        }
        trusted.remove(gone);
        attestations.removeAsync(gone);
      }
    });
    MemberAttestation own = MemberAttestation.sign(self, tls);
    ownEntry = own.certificatePem() + "\n" + own.signature();
    attestations.put(self, ownEntry);
    attestations.forEach((node, text) -> judge(node, text));
  }

  /**
   * Puts this member's attestation back when it is missing or not its own: deleted or overwritten by another member,
   * or lost when Hazelcast merged the two halves of a split cluster and kept the other half's map. Without it the
   * others would deliver nothing to this member again. Then reads the attestation of every member not trusted yet:
   * an entry that came back through a merge arrives as a merge, not as an addition, and a listener's event may be
   * lost while the halves rejoin; without this read such a member would stay untrusted for good. Asynchronous: safe
   * on an event loop.
   */
  void reassert() {
    IMap<String, String> map = attestations;
    String entry = ownEntry;
    if (map == null || entry == null || !hazelcast.isActive()) {
      return;
    }
    String self = hazelcast.getNodeId();
    map.getAsync(self).thenAccept(found -> {
      if (!entry.equals(found)) {
        log.warn("this member's attestation was {} in the cluster map: putting it back", found == null
            ? "missing" : "replaced");
        map.putAsync(self, entry);
      }
    });
    for (String node : hazelcast.getNodes()) {
      if (!node.equals(self) && !trusted.contains(node)) {
        map.getAsync(node).thenAccept(text -> {
          if (text != null) {
            judge(node, text);
          }
        });
      }
    }
  }

  /**
   * Registers again every consumer of this member that is missing from the cluster's subscription map. Vert.x's
   * Hazelcast cluster manager removes the consumers of members it sees leave, in the shared map: a member that was
   * dropped for a moment (frozen, or cut off while the others suspected it) removes the consumers of the members it
   * lost sight of, while it still reaches some of the map's partitions, and those members, never having left, never
   * publish theirs again: no event would reach them until a restart. Asynchronous: safe on an event loop; the future
   * completes when every lookup has answered, so that a check waits for the one before it (a lookup runs on a worker,
   * and one the cluster holds up must not be joined by another every 2 s until the worker pool is full).
   */
  Future<Void> reassertRegistrations() {
    if (!hazelcast.isActive()) {
      return Future.succeededFuture();
    }
    String self = hazelcast.getNodeId();
    List<Future<Void>> lookups = new ArrayList<>();
    own.forEach((address, registrations) -> lookups.add(lookUp(address, inMap -> {
      List<RegistrationInfo> missing;
      synchronized (registrations) {
        missing = registrations.stream().filter(r -> !inMap.contains(r)).toList();
      }
      if (!missing.isEmpty()) {
        log.warn("{} of this member's consumers of {} were missing from the cluster's subscription map: "
            + "registering them again (node {})", missing.size(), address, self);
        missing.forEach(r -> hazelcast.addRegistration(address, r, (ok, e) -> {
          if (e != null) {
            log.warn("registering a consumer of {} again failed: {}", address, e.toString());
          }
        }));
      }
    })));
    return Future.join(lookups).mapEmpty();
  }

  /**
   * Reads again, for every address the event bus follows, who consumes it, and tells the event bus when that changed.
   * When the halves of a split cluster merge, the consumers of the half that rejoins come back into the subscription
   * map without an "added" event: the event bus would go on sending only to the members it knew, and a healed member
   * would receive nothing until some other change made it look again (seconds to minutes). Asynchronous: safe on an
   * event loop; the future completes when every lookup has answered (see {@link #reassertRegistrations()}).
   */
  Future<Void> refreshRegistrations() {
    RegistrationListener listener = eventBus;
    if (listener == null || !hazelcast.isActive()) {
      return Future.succeededFuture();
    }
    List<Future<Void>> lookups = new ArrayList<>();
    for (String address : List.copyOf(lastSeen.keySet())) {
      if (!listener.wantsUpdatesFor(address)) {
        continue;
      }
      lookups.add(lookUp(address, found -> {
        List<RegistrationInfo> before = lastSeen.put(address, found);
        if (before == null || !Set.copyOf(before).equals(Set.copyOf(found))) {
          log.info("the consumers of {} in the cluster's subscription map changed without an event ({} before, {} "
              + "now): the event bus is told", address, before == null ? 0 : before.size(), found.size());
          listener.registrationsUpdated(new RegistrationUpdateEvent(address, trustedOnly(found)));
        }
      }));
    }
    return Future.join(lookups).mapEmpty();
  }

  /**
   * Looks up who consumes {@code address} in the cluster's map and gives them to {@code then}; a failed lookup (the
   * cluster is busy merging) is left to the next check. The future completes when the lookup has answered, either way.
   */
  private Future<Void> lookUp(String address, Consumer<List<RegistrationInfo>> then) {
    Promise<Void> looked = Promise.promise();
    hazelcast.getRegistrations(address, (found, failure) -> {
      looked.complete();
      if (failure == null) {
        then.accept(found);
      }
    });
    return looked.future();
  }

  private void judge(String node, String text) {
    int split = text == null ? -1 : text.lastIndexOf('\n');
    boolean proves = split > 0
        && new MemberAttestation(text.substring(0, split), text.substring(split + 1)).provesMember(node, cas);
    boolean changed = proves ? trusted.add(node) : !node.equals(hazelcast.getNodeId()) && trusted.remove(node);
    if (changed) {
      if (proves) {
        log.info("cluster member {} proved a certificate of the CA: the event bus may deliver to it", node);
      } else {
        log.warn("cluster member {} holds no valid attestation: the event bus delivers nothing to it", node);
      }
      reannounce();
    }
  }

  /** Tells the event bus again who consumes each address it asked about, now that the trusted set changed. */
  private void reannounce() {
    RegistrationListener listener = eventBus;
    if (listener == null) {
      return;
    }
    lastSeen.forEach((address, registrations) -> {
      if (listener.wantsUpdatesFor(address)) {
        listener.registrationsUpdated(new RegistrationUpdateEvent(address, trustedOnly(registrations)));
      }
    });
  }

  private List<RegistrationInfo> trustedOnly(List<RegistrationInfo> registrations) {
    return registrations.stream().filter(r -> trusted.contains(r.nodeId())).toList();
  }

  @Override
  public void registrationListener(RegistrationListener listener) {
    eventBus = listener;
    hazelcast.registrationListener(new RegistrationListener() {
      @Override
      public void registrationsUpdated(RegistrationUpdateEvent event) {
        lastSeen.put(event.address(), event.registrations());
        listener.registrationsUpdated(new RegistrationUpdateEvent(event.address(), trustedOnly(event.registrations())));
      }

      @Override
      public void registrationsLost() {
        listener.registrationsLost();
      }

      @Override
      public boolean wantsUpdatesFor(String address) {
        return listener.wantsUpdatesFor(address);
      }
    });
  }

  @Override
  public void getRegistrations(String address, Completable<List<RegistrationInfo>> promise) {
    hazelcast.getRegistrations(address, (registrations, failure) -> {
      if (failure != null) {
        promise.fail(failure);
      } else {
        lastSeen.put(address, registrations);
        promise.succeed(trustedOnly(registrations));
      }
    });
  }

  /** Follows the attestations map: judges every entry written or merged back, forgets a removed one. */
  private final class Follower implements EntryAddedListener<String, String>, EntryUpdatedListener<String, String>,
      EntryRemovedListener<String, String>, EntryMergedListener<String, String> {
    @Override
    public void entryAdded(EntryEvent<String, String> event) {
      judge(event.getKey(), event.getValue());
    }

    @Override
    public void entryUpdated(EntryEvent<String, String> event) {
      judge(event.getKey(), event.getValue());
      if (event.getKey().equals(hazelcast.getNodeId())) {
        reassert();
      }
    }

    @Override
    public void entryMerged(EntryEvent<String, String> event) {
      judge(event.getKey(), event.getValue());
    }

    @Override
    public void entryRemoved(EntryEvent<String, String> event) {
      judge(event.getKey(), null);
      if (event.getKey().equals(hazelcast.getNodeId())) {
        reassert();
      }
    }
  }

  // What follows is Hazelcast's cluster manager unchanged.

  @Override
  public void init(Vertx vertx) {
    hazelcast.init(vertx);
  }

  @Override
  public <K, V> void getAsyncMap(String name, Completable<AsyncMap<K, V>> promise) {
    hazelcast.getAsyncMap(name, promise);
  }

  @Override
  public <K, V> Map<K, V> getSyncMap(String name) {
    return hazelcast.getSyncMap(name);
  }

  @Override
  public void getLockWithTimeout(String name, long timeout, Completable<Lock> promise) {
    hazelcast.getLockWithTimeout(name, timeout, promise);
  }

  @Override
  public void getCounter(String name, Completable<Counter> promise) {
    hazelcast.getCounter(name, promise);
  }

  @Override
  public String getNodeId() {
    return hazelcast.getNodeId();
  }

  @Override
  public List<String> getNodes() {
    return hazelcast.getNodes();
  }

  @Override
  public void nodeListener(NodeListener listener) {
    hazelcast.nodeListener(listener);
  }

  @Override
  public void setNodeInfo(NodeInfo nodeInfo, Completable<Void> promise) {
    hazelcast.setNodeInfo(nodeInfo, promise);
  }

  @Override
  public NodeInfo getNodeInfo() {
    return hazelcast.getNodeInfo();
  }

  @Override
  public void getNodeInfo(String nodeId, Completable<NodeInfo> promise) {
    hazelcast.getNodeInfo(nodeId, promise);
  }

  @Override
  public void join(Completable<Void> promise) {
    hazelcast.join((ok, failure) -> {
      if (failure == null) {
        trusted.add(hazelcast.getNodeId()); // its own consumers, from the first one on
      }
      promise.complete(ok, failure);
    });
  }

  @Override
  public void leave(Completable<Void> promise) {
    hazelcast.leave(promise);
  }

  @Override
  public boolean isActive() {
    return hazelcast.isActive();
  }

  @Override
  public void addRegistration(String address, RegistrationInfo registrationInfo, Completable<Void> promise) {
    if (!registrationInfo.localOnly()) {
      own.computeIfAbsent(address, a -> Collections.synchronizedSet(new LinkedHashSet<>())).add(registrationInfo);
    }
    hazelcast.addRegistration(address, registrationInfo, promise);
  }

  @Override
  public void removeRegistration(String address, RegistrationInfo registrationInfo, Completable<Void> promise) {
    own.computeIfPresent(address, (a, registrations) -> {
      registrations.remove(registrationInfo);
      return registrations.isEmpty() ? null : registrations;
    });
    hazelcast.removeRegistration(address, registrationInfo, promise);
  }

  @Override
  public String clusterHost() {
    return hazelcast.clusterHost();
  }

  @Override
  public String clusterPublicHost() {
    return hazelcast.clusterPublicHost();
  }
}
