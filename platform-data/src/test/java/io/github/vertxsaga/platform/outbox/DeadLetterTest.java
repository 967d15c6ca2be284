package io.github.vertxsaga.platform.outbox;

import static io.github.vertxsaga.platform.testing.Eventually.result;
import static io.github.vertxsaga.platform.testing.Eventually.until;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.events.Addresses;
import io.github.vertxsaga.events.EventEnvelope;
import io.github.vertxsaga.platform.testing.TestDatabases.Kind;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** A poison event: refused by its consumer every time, parked after the allowed failures, requeued by an operator. */
class DeadLetterTest extends OnEveryDatabase {
  private static final int MAX_FAILURES = 3;
  private static final String POISON = "order-poison";

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("an event its consumer always refuses is parked after the allowed failures while other orders flow, "
      + "and is delivered once requeued to a healthy consumer")
  void poisonIsParkedAndRequeued(Kind kind, Vertx vertx) throws InterruptedException {
    bed = OutboxBed.open(vertx, kind, "poison");
    List<String> handled = Collections.synchronizedList(new ArrayList<>());
    AtomicBoolean healthy = new AtomicBoolean(false);
    AtomicInteger poisonAttempts = new AtomicInteger();
    CountDownLatch poisonArrived = new CountDownLatch(1);
    CountDownLatch othersCommitted = new CountDownLatch(1);
    EventHandler handler = (envelope, payload, c, events) -> {
      if (envelope.subject().equals(POISON) && !healthy.get()) {
        int attempt = poisonAttempts.incrementAndGet();
        if (attempt == 1) {
          // Hold the first refusal until the other orders' events are committed: they must overtake the poison.
          poisonArrived.countDown();
          awaitQuietly(othersCommitted);
        }
        handled.add("refused " + POISON + " #" + attempt);
        throw new SQLException("cannot apply " + POISON + " (attempt " + attempt + ")");
      }
      bed.insertScratch(c, envelope.id(), envelope.subject());
      handled.add("applied " + envelope.subject());
    };
    result(vertx.deployVerticle(new InboxConsumer("dead-letter-test", Addresses.INVENTORY_EVENTS, bed.outbox, handler,
        "")));
    bed.startRelay(OutboxBed.fastSettings(MAX_FAILURES));

    EventEnvelope poison = bed.emit(POISON, 1);
    assertThat(poisonArrived.await(10, TimeUnit.SECONDS)).as("the poison reached its consumer").isTrue();
    EventEnvelope a = bed.emit("order-a", 1);
    EventEnvelope b = bed.emit("order-b", 1);
    othersCommitted.countDown();

    until("the poison is dead-lettered", () -> bed.row(poison).dead());
    until("the other orders' events are delivered", () -> bed.row(a).delivered() && bed.row(b).delivered());
    OutboxBed.Row parked = bed.row(poison);
    assertThat(parked.failures()).isEqualTo(MAX_FAILURES);
    assertThat(parked.delivered()).isFalse();
    assertThat(parked.lastError()).contains("cannot apply " + POISON + " (attempt " + MAX_FAILURES + ")");
    List<String> order = List.copyOf(handled);
    assertThat(order.indexOf("applied order-a")).as("order-a applied before the poison's last refusal: " + order)
        .isLessThan(order.indexOf("refused " + POISON + " #" + MAX_FAILURES));
    assertThat(order.indexOf("applied order-b")).as("order-b applied before the poison's last refusal: " + order)
        .isLessThan(order.indexOf("refused " + POISON + " #" + MAX_FAILURES));

    JsonArray deadLetters = result(bed.outbox.deadLetters(10));
    assertThat(deadLetters).hasSize(1);
    JsonObject letter = deadLetters.getJsonObject(0);
    assertThat(letter.getLong("id")).isEqualTo(parked.id());
    assertThat(letter.getString("eventId")).isEqualTo(poison.id());
    assertThat(letter.getString("destination")).isEqualTo(Addresses.INVENTORY_EVENTS);
    assertThat(letter.getString("error")).contains("cannot apply " + POISON);
    assertThat(result(bed.outbox.backlog()).getLong("deadLettered")).isOne();

    healthy.set(true);
    assertThat(result(bed.outbox.requeue(parked.id()))).as("requeued").isTrue();
    until("the requeued poison is delivered", () -> bed.row(poison).delivered());
    assertThat(bed.count("SELECT COUNT(*) FROM scratch WHERE id = ?", poison.id())).isOne();
    assertThat(result(bed.outbox.deadLetters(10))).isEmpty();
    assertThat(result(bed.outbox.requeue(parked.id()))).as("requeue of a row no longer parked").isFalse();
    assertThat(handled).containsOnlyOnce("applied " + POISON);
  }

  private static void awaitQuietly(CountDownLatch latch) throws SQLException {
    try {
      if (!latch.await(10, TimeUnit.SECONDS)) {
        throw new SQLException("the test never released the poison's first attempt");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SQLException(e);
    }
  }
}
