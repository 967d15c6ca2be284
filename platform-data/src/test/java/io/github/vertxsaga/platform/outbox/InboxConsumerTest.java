package io.github.vertxsaga.platform.outbox;

import static io.github.vertxsaga.platform.testing.Eventually.failure;
import static io.github.vertxsaga.platform.testing.Eventually.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.events.Addresses;
import io.github.vertxsaga.events.EventEnvelope;
import io.github.vertxsaga.platform.testing.TestDatabases.Kind;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The idempotent consumer, fed directly over the event bus as the relay would feed it. */
class InboxConsumerTest extends OnEveryDatabase {
  private static final String CONSUMER = "inbox-test";
  private static final DeliveryOptions SHORT = new DeliveryOptions().setSendTimeout(5_000);

  private final AtomicBoolean healthy = new AtomicBoolean(true);

  /** Records each applied event in the scratch table, in the inbox transaction; refuses while unhealthy. */
  private void startConsumer(Vertx vertx, Kind kind) {
    bed = OutboxBed.open(vertx, kind, "inbox");
    EventHandler handler = (envelope, payload, c, events) -> {
      if (!healthy.get()) {
        throw new SQLException("handler is unhealthy");
      }
      bed.insertScratch(c, envelope.id(), envelope.subject());
    };
    result(vertx.deployVerticle(new InboxConsumer(CONSUMER, Addresses.INVENTORY_EVENTS, bed.outbox, handler, "")));
  }

  private Future<String> deliver(EventEnvelope envelope) {
    return bed.vertx.eventBus().<String>request(Addresses.INVENTORY_EVENTS, envelope, SHORT).map(m -> m.body());
  }

  private long effects(EventEnvelope envelope) {
    return bed.count("SELECT COUNT(*) FROM scratch WHERE id = ?", envelope.id());
  }

  private long inboxRows(EventEnvelope envelope) {
    return bed.count("SELECT COUNT(*) FROM inbox WHERE event_id = ?", envelope.id());
  }

  private static EventEnvelope envelope(String orderId) {
    return EventEnvelope.wrap(OutboxBed.placed(orderId), 1, Instant.now());
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("an event delivered twice is applied once and the second delivery is acknowledged as a duplicate")
  void duplicateIsAppliedOnce(Kind kind, Vertx vertx) {
    startConsumer(vertx, kind);
    EventEnvelope event = envelope("order-twice");

    assertThat(result(deliver(event))).isEqualTo(InboxConsumer.APPLIED);
    assertThat(result(deliver(event))).isEqualTo(InboxConsumer.DUPLICATE);

    assertThat(effects(event)).isOne();
    assertThat(inboxRows(event)).isOne();
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("an event delivered twice at the same moment is applied once")
  void concurrentDuplicateIsAppliedOnce(Kind kind, Vertx vertx) {
    startConsumer(vertx, kind);
    EventEnvelope event = envelope("order-racing");

    Future<String> one = deliver(event);
    Future<String> two = deliver(event);

    // The loser waits on the winner's inbox key, then finds it committed.
    assertThat(List.of(result(one), result(two)))
        .containsExactlyInAnyOrder(InboxConsumer.APPLIED, InboxConsumer.DUPLICATE);
    assertThat(result(deliver(event))).isEqualTo(InboxConsumer.DUPLICATE);
    assertThat(effects(event)).isOne();
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("a refused event leaves no inbox record, so its redelivery is applied")
  void refusedEventIsNotRecorded(Kind kind, Vertx vertx) {
    startConsumer(vertx, kind);
    EventEnvelope event = envelope("order-refused");
    healthy.set(false);

    Throwable refused = failure(deliver(event));
    assertThat(refused).isInstanceOf(ReplyException.class).hasMessageContaining("handler is unhealthy");
    assertThat(((ReplyException) refused).failureType()).isEqualTo(ReplyFailure.RECIPIENT_FAILURE);
    assertThat(inboxRows(event)).isZero();

    healthy.set(true);
    assertThat(result(deliver(event))).isEqualTo(InboxConsumer.APPLIED);
    assertThat(effects(event)).isOne();
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("an event of a type this version does not know is acknowledged as ignored and not recorded")
  void unknownTypeIsIgnored(Kind kind, Vertx vertx) {
    startConsumer(vertx, kind);
    EventEnvelope known = envelope("order-future");
    EventEnvelope future = new EventEnvelope(known.id(), known.source(), "OrderGiftWrapped", known.subject(),
        known.time(), known.traceparent(), known.tracestate(), 2, new JsonObject().put("orderId", "order-future"));

    assertThat(result(deliver(future))).isEqualTo(InboxConsumer.IGNORED);
    assertThat(effects(future)).isZero();
    assertThat(inboxRows(future)).isZero();
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("an event whose payload cannot be read is refused at once, so the relay can count it and park it")
  void unreadablePayloadIsRefused(Kind kind, Vertx vertx) {
    startConsumer(vertx, kind);
    EventEnvelope valid = envelope("order-garbled");
    JsonObject garbled = valid.data().copy();
    garbled.getJsonArray("items").getJsonObject(0).remove("quantity");
    EventEnvelope event = new EventEnvelope(valid.id(), valid.source(), valid.type(), valid.subject(), valid.time(),
        valid.traceparent(), valid.tracestate(), valid.sequence(), garbled);

    Throwable refused = failure(deliver(event));
    assertThat(refused).isInstanceOf(ReplyException.class);
    assertThat(((ReplyException) refused).failureType()).as("how the delivery failed: " + refused)
        .isEqualTo(ReplyFailure.RECIPIENT_FAILURE);
    assertThat(effects(event)).isZero();
    assertThat(inboxRows(event)).isZero();
  }
}
