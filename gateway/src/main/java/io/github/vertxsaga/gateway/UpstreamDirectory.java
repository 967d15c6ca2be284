package io.github.vertxsaga.gateway;

import io.github.vertxsaga.platform.discovery.ServiceRegistration;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.servicediscovery.Record;
import io.vertx.servicediscovery.ServiceDiscovery;
import io.vertx.servicediscovery.ServiceDiscoveryOptions;
import io.vertx.micrometer.backends.BackendRegistries;
import io.vertx.servicediscovery.types.HttpEndpoint;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's view of the UP instances of each service, fed by discovery: refreshed at once on every
 * announcement (publish, unpublish) and periodically as a fallback. Instances are chosen round-robin, skipping
 * those whose breaker is open, as an Nginx upstream does. Shared by all gateway event loops: the snapshot is
 * immutable and replaced whole.
 */
final class UpstreamDirectory {
  private static final Logger log = LoggerFactory.getLogger(UpstreamDirectory.class);

  private final Vertx vertx;
  private final ServiceDiscovery discovery;
  private final GatewaySettings settings;
  private final Set<String> services;
  /** By {@link #instanceKey}: one instance, one breaker, however many records discovery holds for it. */
  private final Map<String, Upstream> byInstance = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> cursors = new ConcurrentHashMap<>();
  private final Map<String, Gauge> breakerGauges = new ConcurrentHashMap<>();
  private final MeterRegistry registry = BackendRegistries.getDefaultNow() != null
      ? BackendRegistries.getDefaultNow() : new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
  private volatile Map<String, List<Upstream>> snapshot = Map.of();
  private long started; // refreshes begun; guarded by this
  private long applied; // the newest refresh applied; guarded by this
  private Future<Void> reading; // the read under way, if any; guarded by this
  private boolean again; // a refresh was asked for while one ran; guarded by this

  UpstreamDirectory(Vertx vertx, GatewaySettings settings, Set<String> services) {
    this.vertx = vertx;
    this.settings = settings;
    this.services = Set.copyOf(services);
    this.discovery = ServiceDiscovery.create(vertx);
    services.forEach(service -> cursors.put(service, new AtomicInteger()));
    // Prometheus knows which JVMs are up but not which of them discovery lists: this is what an alert compares.
    services.forEach(service -> Gauge.builder("gateway_discovered_instances", this,
            directory -> directory.snapshot.getOrDefault(service, List.of()).size())
        .description("UP instances of the service in the gateway's discovery snapshot")
        .tags("service", service)
        .register(registry));
  }

  Future<Void> start() {
    vertx.eventBus().consumer(new ServiceDiscoveryOptions().getAnnounceAddress(), message -> refresh());
    vertx.setPeriodic(settings.refreshMs(), id -> refresh());
    return refresh();
  }

  /**
   * Reads the records once at a time: a refresh asked for while one runs is made once after it, so an announcement is
   * never missed, but a cluster that holds reads up (a frozen member owns some of the map's partitions) does not get
   * one more every second and every announcement until the worker pool is full of them.
   */
  synchronized Future<Void> refresh() {
    if (reading != null) {
      again = true;
      return reading;
    }
    long generation = ++started;
    Future<Void> read = discovery.getRecords(record -> HttpEndpoint.TYPE.equals(record.getType())
            && services.contains(record.getName()) && record.getStatus() == io.vertx.servicediscovery.Status.UP)
        .onSuccess(records -> replace(generation, records))
        .onFailure(e -> log.warn("discovery refresh failed: {}", e.toString()))
        .mapEmpty();
    reading = read;
    read.onComplete(done -> readDone());
    return read;
  }

  private synchronized void readDone() {
    reading = null;
    if (again) {
      again = false;
      refresh();
    }
  }

  private synchronized void replace(long generation, List<Record> records) {
    if (generation < applied) {
      // Reads run in parallel on worker threads: one begun before an unpublish may finish after a newer one, and
      // applying it would bring a departed instance back.
      return;
    }
    applied = generation;
    Map<String, List<Upstream>> next = new HashMap<>();
    Set<String> seen = new java.util.HashSet<>();
    for (Record record : records) {
      String key = instanceKey(record);
      if (!seen.add(key)) {
        continue; // a second record of an instance already listed
      }
      Upstream upstream = byInstance.computeIfAbsent(key, id -> create(key, record));
      next.computeIfAbsent(record.getName(), name -> new ArrayList<>()).add(upstream);
    }
    byInstance.entrySet().removeIf(entry -> {
      if (seen.contains(entry.getKey())) {
        return false;
      }
      log.info("instance gone service={} endpoint={} node={}", entry.getValue().service, entry.getValue().address(),
          entry.getValue().node);
      entry.getValue().breaker.close();
      Gauge gauge = breakerGauges.remove(entry.getKey());
      if (gauge != null) {
        registry.remove(gauge);
      }
      return true;
    });
    next.replaceAll((name, list) -> List.copyOf(list));
    snapshot = Map.copyOf(next);
  }

  /**
   * An instance is its endpoint on its cluster node. A merge of a split cluster can bring back a record its instance
   * had already published again (the check that republishes a lost record saw it gone): listed twice, the instance
   * would get twice the traffic, two breakers that each need their own failures to open, and a read retried "on
   * another instance" would go to the same one.
   */
  private static String instanceKey(Record record) {
    String node = record.getMetadata() == null ? null : record.getMetadata().getString(ServiceRegistration.NODE);
    return record.getName() + "@" + record.getLocation().getString("host") + ":"
        + record.getLocation().getInteger("port") + "/" + node;
  }

  private Upstream create(String key, Record record) {
    String name = record.getName() + "@" + record.getLocation().getString("host") + ":"
        + record.getLocation().getInteger("port");
    CircuitBreaker breaker = CircuitBreaker.create(name, vertx, new CircuitBreakerOptions()
        .setMaxFailures(settings.breakerFailures())
        .setTimeout(settings.requestTimeoutMs())
        .setResetTimeout(settings.breakerResetMs())
        .setFallbackOnFailure(false)
        // Off by default: each transition is published, on this JVM only, for the dashboard; no periodic repeat.
        .setNotificationAddress(DashboardStream.BREAKERS)
        .setNotificationLocalOnly(true)
        .setNotificationPeriod(0));
    breaker.openHandler(v -> log.warn("circuit breaker {} OPEN: routing around it", name));
    breaker.halfOpenHandler(v -> log.info("circuit breaker {} HALF_OPEN: trying one request", name));
    breaker.closeHandler(v -> log.info("circuit breaker {} CLOSED", name));
    breakerGauges.put(key, Gauge.builder("gateway_circuit_breaker_state", breaker,
            b -> switch (b.state()) {
              case CLOSED -> 0;
              case HALF_OPEN -> 1;
              case OPEN -> 2;
            })
        .description("Circuit breaker per instance: 0 closed, 1 half-open, 2 open")
        .tags("service", record.getName(), "instance", name)
        .register(registry));
    log.info("instance found service={} endpoint={}:{}", record.getName(), record.getLocation().getString("host"),
        record.getLocation().getInteger("port"));
    return new Upstream(record, breaker);
  }

  /** The next instance of the service round-robin, skipping open breakers and those already tried; null if none. */
  Upstream next(String service, Set<Upstream> tried) {
    List<Upstream> instances = snapshot.getOrDefault(service, List.of());
    int size = instances.size();
    int start = Math.floorMod(cursors.get(service).getAndIncrement(), Math.max(size, 1));
    for (int i = 0; i < size; i++) {
      Upstream candidate = instances.get((start + i) % size);
      if (candidate.accepting() && !tried.contains(candidate)) {
        return candidate;
      }
    }
    return null;
  }

  boolean knows(String service) {
    return !snapshot.getOrDefault(service, List.of()).isEmpty();
  }

  /** The instance that runs on the cluster node {@code node}, as its breaker is named; null if none is known. */
  String instanceOn(String node) {
    for (Upstream upstream : byInstance.values()) {
      if (upstream.node != null && upstream.node.equals(node)) {
        return upstream.breaker.name();
      }
    }
    return null;
  }

  JsonArray describe() {
    JsonArray all = new JsonArray();
    snapshot.values().forEach(list -> list.forEach(upstream -> all.add(upstream.toJson())));
    return all;
  }
}
