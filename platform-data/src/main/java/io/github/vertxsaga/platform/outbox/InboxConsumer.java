package io.github.vertxsaga.platform.outbox;

import io.github.vertxsaga.events.EventEnvelope;
import io.github.vertxsaga.events.EventPayload;
import io.github.vertxsaga.events.EventType;
import io.github.vertxsaga.events.Payloads;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An idempotent consumer: records {@code (consumer, event id)} in the inbox in the same transaction as the effect,
 * and acknowledges only after that commit. A redelivered event finds its id and is acknowledged without being
 * applied again. A failure is answered as a failure, so the relay retries it and in the end parks it.
 */
public final class InboxConsumer extends VerticleBase {
  public static final String APPLIED = "applied";
  public static final String DUPLICATE = "duplicate";
  public static final String IGNORED = "ignored";

  private static final Logger events = LoggerFactory.getLogger("events");

  private final String consumerName;
  private final String address;
  private final TransactionalOutbox outbox;
  private final EventHandler handler;
  private final String haltAfterApply;
  private MessageConsumer<EventEnvelope> consumer;

  /**
   * @param haltAfterApply test-only fault switch: an event type after whose commit the JVM halts before acknowledging
   *                       (empty to disable)
   */
  public InboxConsumer(String consumerName, String address, TransactionalOutbox outbox, EventHandler handler,
                       String haltAfterApply) {
    this.consumerName = consumerName;
    this.address = address;
    this.outbox = outbox;
    this.handler = handler;
    this.haltAfterApply = haltAfterApply;
  }

  @Override
  public Future<?> start() {
    consumer = vertx.eventBus().consumer(address, this::handle);
    return consumer.completion();
  }

  @Override
  public Future<?> stop() {
    return consumer.unregister();
  }

  private void handle(Message<EventEnvelope> message) {
    EventEnvelope envelope = message.body();
    Optional<EventType> type = envelope.eventType();
    if (type.isEmpty()) {
      events.info("handled {} outcome={} (unknown type for this version)", envelope.logLine(), IGNORED);
      message.reply(IGNORED);
      return;
    }
    EventPayload payload;
    try {
      payload = Payloads.read(type.get(), envelope.data());
    } catch (RuntimeException e) {
      // Thrown out of this handler it would leave the request unanswered: a time-out, which the relay never counts,
      // so the event would be retried forever instead of being parked.
      events.error("refused {} by={}: unreadable payload: {}", envelope.logLine(), consumerName, e.toString());
      message.fail(400, "unreadable payload: " + e);
      return;
    }
    outbox.inTransaction(envelope.traceId(), (connection, sink) -> {
      if (!OutboxStore.recordInbox(connection, consumerName, envelope, System.currentTimeMillis())) {
        return DUPLICATE;
      }
      handler.apply(envelope, payload, connection, sink);
      return APPLIED;
    }).onComplete(ar -> {
      long lagMs = System.currentTimeMillis() - envelope.time().toEpochMilli();
      if (ar.succeeded()) {
        events.info("handled {} by={} outcome={} lag_ms={}", envelope.logLine(), consumerName, ar.result(), lagMs);
        EventObservations.observe(vertx, consumerName, EventObservations.HANDLED, envelope, ar.result());
        haltIfAsked(envelope);
        message.reply(ar.result());
      } else {
        events.warn("failed {} by={}: {}", envelope.logLine(), consumerName, ar.cause().toString());
        EventObservations.observe(vertx, consumerName, EventObservations.FAILED, envelope, ar.cause().toString());
        message.fail(500, ar.cause().toString());
      }
    });
  }

  private void haltIfAsked(EventEnvelope envelope) {
    if (!haltAfterApply.isEmpty() && haltAfterApply.equals(envelope.type())) {
      events.error("FAULT_HALT_AFTER_APPLY: halting after committing {} and before acknowledging it",
          envelope.logLine());
      Runtime.getRuntime().halt(137);
    }
  }
}
