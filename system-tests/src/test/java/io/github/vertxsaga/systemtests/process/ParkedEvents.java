package io.github.vertxsaga.systemtests.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.events.Addresses;
import io.github.vertxsaga.events.EventEnvelope;
import io.github.vertxsaga.events.EventEnvelopeCodec;
import io.github.vertxsaga.events.LineItem;
import io.github.vertxsaga.events.Payloads;
import io.github.vertxsaga.platform.cluster.ClusterNode;
import io.github.vertxsaga.platform.config.ClusterSettings;
import io.github.vertxsaga.platform.config.Env;
import io.github.vertxsaga.platform.db.DatabaseSettings;
import io.github.vertxsaga.platform.testing.TestCertificates;
import io.github.vertxsaga.platform.tls.NodeCredentials;
import io.github.vertxsaga.systemtests.User;
import io.vertx.core.eventbus.DeliveryOptions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * How the process tests park an event as a real fault would, and repair it as an operator would: an {@code OrderPlaced}
 * that order-service never issued is applied by inventory, whose answer order-service then refuses until the relay
 * parks it; once the order it is about exists, a requeue delivers it.
 */
public final class ParkedEvents {
  private ParkedEvents() {
  }

  /** The test's own member, with the tests' operator certificate: members without one are sent no event. */
  public static ClusterNode joinAsOperator(ProcessCluster cluster, String nodeName) throws Exception {
    var tls = TestCertificates.settings("operator");
    ClusterNode node = ClusterNode.start(new ClusterSettings(cluster.clusterName(), ProcessCluster.HOST,
            cluster.clusterPort(), List.of(cluster.clusterMembers().split(",")), tls),
        NodeCredentials.load(nodeName, tls)).await(60, TimeUnit.SECONDS);
    EventEnvelopeCodec.register(node.vertx().eventBus());
    return node;
  }

  /** Sends inventory an {@code OrderPlaced} for {@code orderId} that order-service never emitted. */
  public static void placeUnissuedOrder(ClusterNode node, String orderId, String sku) throws Exception {
    EventEnvelope placed = EventEnvelope.wrap(new Payloads.OrderPlaced(orderId, User.ALICE.userName(),
        List.of(new LineItem(sku, 1))), 1, Instant.now());
    String outcome = node.vertx().eventBus().<String>request(Addresses.INVENTORY_EVENTS, placed,
        new DeliveryOptions().setSendTimeout(30_000)).await(40, TimeUnit.SECONDS).body();
    assertThat(outcome).as("inventory applies the OrderPlaced").isEqualTo("applied");
  }

  /** The operator's repair of the parked answer: the order it is about now exists, PENDING. */
  public static void createMissingOrder(ServiceProcess order, String orderId, String sku) throws Exception {
    DatabaseSettings db = DatabaseSettings.from(new Env(order.environment()), Service.ORDER.serviceName());
    long now = System.currentTimeMillis();
    try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password());
         PreparedStatement ps = c.prepareStatement("""
             INSERT INTO orders (id, customer, status, items, reason, version, created_at, updated_at)
             VALUES (?, ?, 'PENDING', ?, NULL, 1, ?, ?)""")) {
      ps.setString(1, orderId);
      ps.setString(2, User.ALICE.userName());
      ps.setString(3, LineItem.toJson(List.of(new LineItem(sku, 1))).encode());
      ps.setLong(4, now);
      ps.setLong(5, now);
      assertThat(ps.executeUpdate()).isOne();
    }
  }
}
