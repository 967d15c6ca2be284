package io.github.vertxsaga.platform.outbox;

import static io.github.vertxsaga.platform.outbox.OutboxBed.fastSettings;
import static io.github.vertxsaga.platform.testing.Eventually.failure;
import static io.github.vertxsaga.platform.testing.Eventually.result;
import static io.github.vertxsaga.platform.testing.Eventually.until;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.events.Addresses;
import io.github.vertxsaga.events.EventEnvelope;
import io.github.vertxsaga.events.LineItem;
import io.github.vertxsaga.events.Payloads;
import io.github.vertxsaga.platform.outbox.OutboxSettings;
import io.github.vertxsaga.platform.outbox.OutboxBed.Peer;
import io.github.vertxsaga.platform.testing.TestDatabases.Kind;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The transactional outbox and its relay against a real database and a real event bus, with peers as consumers. */
class OutboxRelayTest extends OnEveryDatabase {
  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("a transaction that emits an event and then fails leaves neither its change nor its event")
  void rolledBackTransactionLeavesNoEvent(Kind kind, Vertx vertx) {
    bed = OutboxBed.open(vertx, kind, "atomic");
    bed.startRelay(fastSettings(3));
    Peer inventory = bed.peer(Addresses.INVENTORY_EVENTS, e -> false);

    Future<Object> doomed = bed.outbox.inTransaction((c, events) -> {
      bed.insertScratch(c, "doomed", "written before the failure");
      events.emit(OutboxBed.placed("order-doomed"), 1);
      throw new IllegalStateException("refused after emitting");
    });
    assertThat(failure(doomed)).hasMessage("refused after emitting");

    EventEnvelope kept = result(bed.outbox.inTransaction((c, events) -> {
      bed.insertScratch(c, "kept", "committed");
      return events.emit(OutboxBed.placed("order-kept"), 1);
    }));
    until("the committed event is acknowledged", () -> inventory.acknowledged(kept));

    assertThat(bed.count("SELECT COUNT(*) FROM scratch WHERE id = ?", "doomed")).isZero();
    assertThat(bed.count("SELECT COUNT(*) FROM outbox WHERE aggregate_id = ?", "order-doomed")).isZero();
    assertThat(bed.count("SELECT COUNT(*) FROM scratch WHERE id = ?", "kept")).isOne();
    assertThat(inventory.deliveries()).extracting(d -> d.envelope().subject()).containsExactly("order-kept");
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("an event whose transaction commits after a later one is still delivered")
  void lateCommitIsDelivered(Kind kind, Vertx vertx) throws InterruptedException {
    bed = OutboxBed.open(vertx, kind, "late");
    bed.startRelay(fastSettings(3));
    Peer inventory = bed.peer(Addresses.INVENTORY_EVENTS, e -> false);

    CountDownLatch aWritten = new CountDownLatch(1);
    CountDownLatch aMayCommit = new CountDownLatch(1);
    AtomicReference<EventEnvelope> aEvent = new AtomicReference<>();
    // The outbox writes a transaction's rows once its work is done, just before the commit: this transaction holds
    // itself open after writing its row (the outbox's own statement), as a slow commit would.
    Future<EventEnvelope> a = bed.database.inTransaction(c -> {
      aEvent.set(EventEnvelope.wrap(OutboxBed.placed("order-a"), 1, java.time.Instant.now()));
      OutboxStore.insert(c, List.of(new OutboxStore.Pending(aEvent.get(), Addresses.INVENTORY_EVENTS)),
          System.currentTimeMillis());
      aWritten.countDown();
      try {
        if (!aMayCommit.await(20, TimeUnit.SECONDS)) {
          throw new SQLException("the test never let transaction A commit");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SQLException(e);
      }
      return aEvent.get();
    });
    assertThat(aWritten.await(10, TimeUnit.SECONDS)).as("transaction A wrote its outbox row").isTrue();

    EventEnvelope b = bed.emit("order-b", 1);
    until("B, committed while A is open, is acknowledged", () -> inventory.acknowledged(b));
    assertThat(inventory.deliveriesOf(aEvent.get())).as("deliveries of A before its commit").isZero();

    aMayCommit.countDown();
    assertThat(result(a)).isEqualTo(aEvent.get());
    until("A is acknowledged after its late commit", () -> inventory.acknowledged(aEvent.get()));

    assertThat(bed.row(aEvent.get()).id()).as("A's outbox id").isLessThan(bed.row(b).id());
    assertThat(inventory.acknowledged()).containsExactly(b.id(), aEvent.get().id());
    until("both rows are marked delivered", () -> bed.row(aEvent.get()).delivered() && bed.row(b).delivered());
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("an event its consumer refuses a few times is retried until it is acknowledged")
  void refusedEventIsRetried(Kind kind, Vertx vertx) {
    bed = OutboxBed.open(vertx, kind, "retry");
    bed.startRelay(fastSettings(5));
    AtomicInteger refusals = new AtomicInteger();
    Peer inventory = bed.peer(Addresses.INVENTORY_EVENTS, e -> refusals.incrementAndGet() <= 3);

    EventEnvelope event = bed.emit("order-retried", 1);
    until("the event is marked delivered", () -> bed.row(event).delivered());

    assertThat(inventory.deliveries()).extracting(Peer.Delivery::acknowledged)
        .containsExactly(false, false, false, true);
    OutboxBed.Row row = bed.row(event);
    assertThat(row.attempts()).isEqualTo(3);
    assertThat(row.failures()).isEqualTo(3);
    assertThat(row.dead()).isFalse();
    assertThat(row.lastError()).contains("peer refused order-retried");
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("an event for a consumer that is not running waits for it, however long, and is delivered when it comes")
  void absentConsumerGetsEventLater(Kind kind, Vertx vertx) {
    bed = OutboxBed.open(vertx, kind, "absent");
    OutboxSettings settings = fastSettings(2);
    bed.startRelay(settings);

    EventEnvelope event = bed.emit(new Payloads.InventoryReserved("order-waiting", List.of(new LineItem("SKU-1", 1))), 1);
    until("the relay has tried more often than a refusing consumer would be allowed",
        () -> bed.row(event).attempts() > settings.maxFailures() + 1);
    OutboxBed.Row waiting = bed.row(event);
    assertThat(waiting.dead()).as("parked").isFalse();
    assertThat(waiting.failures()).as("consumer failures counted").isZero();

    Peer orders = bed.peer(Addresses.ORDER_EVENTS, e -> false);
    until("the late consumer acknowledged the event", () -> orders.acknowledged(event));
    until("the event is marked delivered", () -> bed.row(event).delivered());
    assertThat(orders.deliveriesOf(event)).isOne();
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("the events of one order are handled in the order emitted, even when the first is refused at first")
  void eventsOfOneOrderStayInOrder(Kind kind, Vertx vertx) {
    bed = OutboxBed.open(vertx, kind, "order");
    bed.startRelay(fastSettings(5));
    Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();
    Peer inventory = bed.peer(Addresses.INVENTORY_EVENTS, e -> e.subject().equals("order-1") && e.sequence() == 1
        && seen.computeIfAbsent(e.id(), id -> new AtomicInteger()).incrementAndGet() <= 2);

    // The first two, and another order's event between them, commit together; the third comes after the first refusal.
    List<EventEnvelope> together = result(bed.outbox.inTransaction((c, events) -> List.of(
        events.emit(OutboxBed.placed("order-1"), 1),
        events.emit(OutboxBed.placed("order-2"), 1),
        events.emit(OutboxBed.placed("order-1"), 2))));
    EventEnvelope first = together.get(0);
    EventEnvelope other = together.get(1);
    until("the first event was refused once", () -> inventory.deliveriesOf(first) >= 1);
    EventEnvelope third = bed.emit("order-1", 3);
    until("the third event is acknowledged", () -> inventory.acknowledged(third));

    List<Peer.Delivery> ofOrder1 = inventory.deliveries().stream()
        .filter(d -> d.envelope().subject().equals("order-1")).toList();
    assertThat(ofOrder1).extracting(d -> d.envelope().sequence() + (d.acknowledged() ? " ok" : " refused"))
        .containsExactly("1 refused", "1 refused", "1 ok", "2 ok", "3 ok");
    List<String> acknowledged = inventory.acknowledged();
    assertThat(acknowledged.indexOf(other.id()))
        .as("the other order's event went ahead while the first was held back")
        .isLessThan(acknowledged.indexOf(first.id()));
  }

  @Test
  @DisplayName("retry delays double from the base with jitter and never exceed the cap")
  void backoffDoublesUpToTheCap() {
    OutboxRelay relay = new OutboxRelay(null, "unused", new OutboxSettings(1_000, 50, 10, 3, 100, 1_000, 60_000),
        new OutboxMetrics("test"));
    for (int round = 0; round < 50; round++) {
      assertThat(relay.backoff(1)).isBetween(50L, 100L);
      assertThat(relay.backoff(2)).isBetween(100L, 200L);
      assertThat(relay.backoff(4)).isBetween(400L, 800L);
      assertThat(relay.backoff(5)).isBetween(500L, 1_000L);
      assertThat(relay.backoff(1_000)).isBetween(500L, 1_000L);
    }
  }
}
