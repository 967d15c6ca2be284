package io.github.vertxsaga.systemtests.security;

import io.github.vertxsaga.events.Addresses;
import io.github.vertxsaga.events.EventBatch;
import io.github.vertxsaga.events.EventBatchCodec;
import io.github.vertxsaga.events.EventEnvelope;
import io.github.vertxsaga.events.EventEnvelopeCodec;
import io.github.vertxsaga.events.LineItem;
import io.github.vertxsaga.events.Payloads;
import io.github.vertxsaga.events.ServiceNames;
import com.hazelcast.config.Config;
import com.hazelcast.config.NetworkConfig;
import io.github.vertxsaga.platform.discovery.ServiceRegistration;
import io.github.vertxsaga.platform.tls.TlsSettings;
import io.github.vertxsaga.systemtests.process.ProcessCluster;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.servicediscovery.ServiceDiscovery;
import io.vertx.servicediscovery.types.HttpEndpoint;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A process on the cluster's network that knows the cluster's name and a member's address, and none of the
 * deployment's secrets: it joins Hazelcast, listens on both event addresses and acknowledges what it gets, answers
 * real orders with forged saga events, and publishes a discovery record for each service pointing at its own HTTP
 * server. It holds no certificate of the deployment's CA: none at all, or one it made with a CA of its own, and it
 * runs plain Vert.x and Hazelcast, as an attacker would. It counts what it managed; a test checks every count stays
 * zero.
 */
final class Intruder implements AutoCloseable {
  private static final List<String> SERVICES = List.of(ServiceNames.ORDER_SERVICE, ServiceNames.INVENTORY_SERVICE);
  /** What its own consumers answer: its forgeries may reach them too (plain Vert.x picks local consumers as well). */
  private static final String OWN_ANSWER = "applied by the intruder";
  /** Marks the intruder's own forgeries, in the trace state an envelope carries on its way. */
  private static final String FORGED = "intruder=forged";
  private static final String SOME_TRACE = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

  final String name;
  final AtomicInteger eventsReceived = new AtomicInteger();
  final AtomicInteger requestsReceived;
  final AtomicInteger forgedAccepted = new AtomicInteger();
  final AtomicInteger forgedSent = new AtomicInteger();
  final AtomicInteger forgedRefused = new AtomicInteger();
  private final Vertx vertx;
  private final String nodeId;
  private final ServiceDiscovery discovery;
  private final HttpServer server;

  private Intruder(String name, Vertx vertx, String nodeId, HttpServer server, AtomicInteger requestsReceived) {
    this.name = name;
    this.nodeId = nodeId;
    this.requestsReceived = requestsReceived;
    this.vertx = vertx;
    this.discovery = ServiceDiscovery.create(vertx);
    this.server = server;
  }

  /** Joins {@code cluster} with {@code tls} (off, or another CA's material) and starts all of the above. */
  static Intruder join(ProcessCluster cluster, String name, TlsSettings tls) throws Exception {
    HazelcastClusterManager hazelcast = new HazelcastClusterManager(strangerConfig(cluster));
    Vertx vertx = joinAsAStranger(hazelcast, tls);
    EventEnvelopeCodec.register(vertx.eventBus());
    EventBatchCodec.register(vertx.eventBus());
    AtomicInteger requests = new AtomicInteger();
    HttpServerOptions options = new HttpServerOptions().setHost(ProcessCluster.HOST).setPort(0);
    if (tls.enabled()) {
      // Its own CA's certificate, which even names the service: what a careful intruder would show.
      options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions().setCertPath(tls.certFile().toString())
          .setKeyPath(tls.keyFile().toString()));
    }
    HttpServer server = vertx.createHttpServer(options)
        .requestHandler(request -> {
          requests.incrementAndGet(); // a request, and with it the caller's bearer token
          request.response().putHeader("Content-Type", "application/json").end("{\"items\":[]}");
        })
        .listen().await(30, TimeUnit.SECONDS);
    Intruder intruder = new Intruder(name, vertx, hazelcast.getNodeId(), server, requests);
    intruder.stealEvents();
    intruder.publishFakeEndpoints();
    return intruder;
  }

  private void stealEvents() throws Exception {
    for (String address : List.of(Addresses.INVENTORY_EVENTS, Addresses.ORDER_EVENTS)) {
      vertx.eventBus().<EventEnvelope>consumer(address, message -> {
        if (!FORGED.equals(message.body().tracestate())) {
          eventsReceived.incrementAndGet(); // an event of the system's, not one of its own forgeries
        }
        message.reply(OWN_ANSWER);
      }).completion().await(30, TimeUnit.SECONDS);
      // Where the relays send their batches: one taken here would be every event in it.
      vertx.eventBus().<EventBatch>consumer(Addresses.batchOf(address), message -> {
        eventsReceived.addAndGet(message.body().events().size());
        message.fail(500, OWN_ANSWER);
      }).completion().await(30, TimeUnit.SECONDS);
    }
  }

  private void publishFakeEndpoints() throws Exception {
    for (String service : SERVICES) {
      JsonObject metadata = new JsonObject().put(ServiceRegistration.NODE, nodeId)
          .put(ServiceRegistration.INSTANCE, name + "-" + service);
      discovery.publish(HttpEndpoint.createRecord(service, ProcessCluster.HOST, server.actualPort(), "/", metadata))
          .await(30, TimeUnit.SECONDS);
    }
  }

  /**
   * Plain Vert.x on plain Hazelcast, none of the project's own cluster code: the cluster's name, its seeds, and an
   * event bus that trusts whatever it meets and shows {@code tls}'s certificate when there is one.
   */
  private static Config strangerConfig(ProcessCluster cluster) {
    Config config = ConfigUtil.loadConfig();
    config.setClusterName(cluster.clusterName());
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.wait.seconds.before.join", "0");
    NetworkConfig network = config.getNetworkConfig();
    network.setPort(cluster.clusterPort()).setPortAutoIncrement(true).setPortCount(100);
    network.getInterfaces().setEnabled(true).setInterfaces(List.of(ProcessCluster.HOST));
    network.getJoin().getMulticastConfig().setEnabled(false);
    network.getJoin().getAutoDetectionConfig().setEnabled(false);
    network.getJoin().getTcpIpConfig().setEnabled(true).setMembers(Arrays.asList(cluster.clusterMembers().split(",")));
    return config;
  }

  private static Vertx joinAsAStranger(HazelcastClusterManager hazelcast, TlsSettings tls) throws Exception {
    EventBusOptions eventBus = new EventBusOptions().setHost(ProcessCluster.HOST).setClusterPublicHost(ProcessCluster.HOST);
    if (tls.enabled()) {
      eventBus.setSsl(true).setTrustAll(true).setKeyCertOptions(new PemKeyCertOptions()
          .setCertPath(tls.certFile().toString()).setKeyPath(tls.keyFile().toString()));
    }
    return Vertx.builder().with(new VertxOptions().setEventBusOptions(eventBus))
        .withClusterManager(hazelcast).buildClustered().await(90, TimeUnit.SECONDS);
  }

  /** Answers a real order as inventory would have: reserved, which would confirm it without holding stock. */
  Future<Void> forgeReservation(String orderId, String sku) {
    EventEnvelope forged = EventEnvelope.wrap(new Payloads.InventoryReserved(orderId, List.of(new LineItem(sku, 1))),
        1, Instant.now()).withTraceContext(SOME_TRACE, FORGED);
    forgedSent.incrementAndGet();
    return vertx.eventBus().<String>request(Addresses.ORDER_EVENTS, forged, new DeliveryOptions().setSendTimeout(2_000))
        .onSuccess(reply -> {
          if (!OWN_ANSWER.equals(reply.body())) {
            forgedAccepted.incrementAndGet(); // a member of the system took it
          }
        })
        .onFailure(refused -> forgedRefused.incrementAndGet())
        .transform(ignored -> Future.succeededFuture());
  }

  int port() {
    return server.actualPort();
  }

  List<String> counts() {
    return new ArrayList<>(List.of(name + ": events received " + eventsReceived.get(), name + ": forged events sent " + forgedSent.get()
        + ", taken by a member " + forgedAccepted.get() + ", refused or unanswered " + forgedRefused.get(), name + ": HTTP requests received " + requestsReceived.get()));
  }

  @Override
  public void close() throws Exception {
    discovery.close();
    vertx.close().await(30, TimeUnit.SECONDS);
  }
}
