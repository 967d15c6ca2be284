package io.github.vertxsaga.platform.outbox;

import io.github.vertxsaga.events.Addresses;
import io.github.vertxsaga.events.EventEnvelope;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A compact note of each event the relay delivered or parked and each event the inbox handled, published on
 * {@link Addresses#OBSERVATIONS} for whoever watches (the gateway's dashboard), next to the {@code events} log line
 * that says the same. Fire and forget: a publish waits for no one and is answered by no one, so an absent or slow
 * watcher can neither delay nor fail the saga; an error here is logged and swallowed for the same reason. The note
 * names the cluster node, which the gateway's discovery maps to a service instance; like every event on the bus it
 * reaches attested members only.
 */
public final class EventObservations {
  public static final String DELIVERED = "delivered";
  public static final String HANDLED = "handled";
  public static final String DEAD_LETTERED = "dead-lettered";
  public static final String FAILED = "failed";

  private static final Logger log = LoggerFactory.getLogger(EventObservations.class);

  private EventObservations() {
  }

  /**
   * Says that {@code service} did {@code kind} with the event: the relay {@link #DELIVERED} or {@link #DEAD_LETTERED}
   * it, its consumer {@link #HANDLED} it ({@code applied}, {@code duplicate}) or {@link #FAILED} to; {@code outcome}
   * is the answer or the error.
   */
  public static void observe(Vertx vertx, String service, String kind, EventEnvelope envelope, Object outcome) {
    try {
      long now = System.currentTimeMillis();
      vertx.eventBus().publish(Addresses.OBSERVATIONS, new JsonObject()
          .put("kind", kind)
          .put("type", envelope.type())
          .put("eventId", envelope.id())
          .put("order", envelope.subject())
          .put("sequence", envelope.sequence())
          .put("traceId", envelope.traceId())
          .put("service", service)
          .put("node", node(vertx))
          .put("outcome", outcome == null ? null : outcome.toString())
          .put("eventTime", envelope.time().toEpochMilli())
          .put("at", now)
          .put("lagMs", now - envelope.time().toEpochMilli()));
    } catch (RuntimeException e) {
      log.debug("observation of {} not published: {}", envelope.logLine(), e.toString());
    }
  }

  private static String node(Vertx vertx) {
    return vertx instanceof VertxInternal internal && internal.clusterManager() != null
        ? internal.clusterManager().getNodeId() : null;
  }
}
