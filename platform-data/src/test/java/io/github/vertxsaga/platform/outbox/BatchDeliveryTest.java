package io.github.vertxsaga.platform.outbox;

import static io.github.vertxsaga.platform.outbox.OutboxBed.fastSettings;
import static io.github.vertxsaga.platform.testing.Eventually.result;
import static io.github.vertxsaga.platform.testing.Eventually.until;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.events.Addresses;
import io.github.vertxsaga.events.EventBatch;
import io.github.vertxsaga.events.EventEnvelope;
import io.github.vertxsaga.events.EventOutcome;
import io.github.vertxsaga.platform.testing.TestDatabases.Kind;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The relay and the real inbox consumer together, over the event bus, with events in batches: what one bad event in a
 * batch, a batch of several orders and a lost acknowledgement of a batch do.
 */
class BatchDeliveryTest extends OnEveryDatabase {
  private static final String CONSUMER = "batch-test";

  /** What the consumer's handler applied, in the order it applied it: "order seq". */
  private final List<String> applied = new CopyOnWriteArrayList<>();
  /** The number of events in each batch sent, in the order sent. */
  private final List<Integer> batches = new CopyOnWriteArrayList<>();
  /** Each batch's answer, as the relay got it. */
  private final List<List<EventOutcome>> answers = new CopyOnWriteArrayList<>();

  /**
   * A consumer on inventory.events whose handler records each event in the scratch table (in its transaction) and
   * throws for the events {@code poison} picks; batches and answers are seen where they cross the event bus.
   */
  private void start(Vertx vertx, Kind kind, Predicate<EventEnvelope> poison, OutboxSettings settings) {
    bed = OutboxBed.open(vertx, kind, "batch");
    AtomicInteger order = new AtomicInteger();
    EventHandler handler = (envelope, payload, c, events) -> {
      if (poison.test(envelope)) {
        throw new SQLException("poison " + envelope.subject() + " seq=" + envelope.sequence());
      }
      bed.insertScratch(c, envelope.id(), String.format("%06d %s %d", order.incrementAndGet(), envelope.subject(),
          envelope.sequence()));
    };
    vertx.eventBus().addOutboundInterceptor(delivery -> {
      Object body = delivery.body();
      if (body instanceof EventBatch batch) {
        batches.add(batch.events().size());
      } else if (body instanceof JsonObject json && json.containsKey("outcomes")) {
        answers.add(EventBatch.outcomes(json));
      }
      delivery.next();
    });
    result(vertx.deployVerticle(new InboxConsumer(CONSUMER, Addresses.INVENTORY_EVENTS, bed.outbox, handler, "")));
    bed.startRelay(settings);
  }

  /** Commits the events of {@code orders} ("order seq" each) in one transaction, in that order. */
  private List<EventEnvelope> emitTogether(String... orders) {
    return result(bed.outbox.inTransaction((c, events) -> {
      List<EventEnvelope> emitted = new ArrayList<>();
      for (String event : orders) {
        String[] parts = event.split(" ");
        emitted.add(events.emit(OutboxBed.placed(parts[0]), Long.parseLong(parts[1])));
      }
      return emitted;
    }));
  }

  /** What the handler committed, in the order it applied it. */
  private List<String> committed() {
    return result(bed.database.read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT note FROM scratch ORDER BY note");
           ResultSet rs = ps.executeQuery()) {
        List<String> notes = new ArrayList<>();
        while (rs.next()) {
          notes.add(rs.getString(1).substring(7));
        }
        return notes;
      }
    }));
  }

  private long inboxRows(EventEnvelope envelope) {
    return bed.count("SELECT COUNT(*) FROM inbox WHERE event_id = ?", envelope.id());
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("a batch with one poison event: only that event is parked, the others are applied once")
  void poisonEventIsParkedAlone(Kind kind, Vertx vertx) {
    start(vertx, kind, e -> e.subject().equals("order-poison") && e.sequence() == 1, fastSettings(3));

    List<EventEnvelope> sent = emitTogether("order-a 1", "order-poison 1", "order-b 1", "order-poison 2", "order-a 2");
    EventEnvelope poison = sent.get(1);
    until("the poison event is parked", () -> bed.row(poison).dead());
    until("every other event is delivered",
        () -> sent.stream().filter(e -> e != poison).allMatch(e -> bed.row(e).delivered()));

    assertThat(batches.get(0)).as("the first pass sends the five events in one message").isEqualTo(5);
    assertThat(answers.get(0)).extracting(EventOutcome::outcome).containsExactly(EventOutcome.APPLIED,
        EventOutcome.FAILED, EventOutcome.APPLIED, EventOutcome.SKIPPED, EventOutcome.APPLIED);
    assertThat(answers.get(0).get(1).error()).contains("poison order-poison seq=1");
    OutboxBed.Row parked = bed.row(poison);
    assertThat(parked.failures()).isEqualTo(3);
    assertThat(parked.lastError()).contains("poison order-poison seq=1");
    assertThat(committed()).as("applied, each once, in order per order; the poison's next event once it was parked")
        .containsExactly("order-a 1", "order-b 1", "order-a 2", "order-poison 2");
    assertThat(inboxRows(poison)).as("inbox rows of the poison event").isZero();
    sent.stream().filter(e -> e != poison).forEach(e -> assertThat(inboxRows(e)).as(e.logLine()).isOne());
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("batches that span two orders keep each order's events in order, also when one order's first fails once")
  void batchesSpanningTwoOrdersKeepEachInOrder(Kind kind, Vertx vertx) {
    AtomicBoolean refusedOnce = new AtomicBoolean();
    start(vertx, kind, e -> e.subject().equals("order-b") && e.sequence() == 1 && refusedOnce.compareAndSet(false, true),
        fastSettings(3).withMessageEvents(2));

    List<EventEnvelope> sent = emitTogether("order-a 1", "order-b 1", "order-a 2", "order-b 2", "order-a 3");
    until("every event is delivered", () -> sent.stream().allMatch(e -> bed.row(e).delivered()));

    assertThat(batches.subList(0, 2)).as("two events a message: the first pass's first two messages")
        .containsExactly(2, 2);
    assertThat(answers.get(0)).extracting(EventOutcome::outcome)
        .containsExactly(EventOutcome.APPLIED, EventOutcome.FAILED);
    assertThat(answers.get(1)).as("order-b sends nothing more in the pass where its first event failed")
        .extracting(EventOutcome::id).containsExactly(sent.get(2).id(), sent.get(4).id());
    List<String> committed = committed();
    assertThat(committed.stream().filter(n -> n.startsWith("order-a")).toList())
        .containsExactly("order-a 1", "order-a 2", "order-a 3");
    assertThat(committed.stream().filter(n -> n.startsWith("order-b")).toList())
        .containsExactly("order-b 1", "order-b 2");
    assertThat(bed.row(sent.get(1)).failures()).isOne();
    sent.forEach(e -> assertThat(inboxRows(e)).as(e.logLine()).isOne());
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("a batch applied whose acknowledgement is lost is delivered again and absorbed as duplicates")
  void lostAcknowledgementIsAbsorbed(Kind kind, Vertx vertx) {
    start(vertx, kind, e -> false, new OutboxSettings(1_000, 50, 100, 3, 10, 200, 86_400_000L));
    // The consumer committed, and its answer never reaches the relay: as if it died between the two.
    AtomicBoolean lost = new AtomicBoolean();
    vertx.eventBus().addOutboundInterceptor(delivery -> {
      if (delivery.body() instanceof JsonObject json && json.containsKey("outcomes") && lost.compareAndSet(false, true)) {
        return;
      }
      delivery.next();
    });

    List<EventEnvelope> sent = emitTogether("order-a 1", "order-b 1", "order-a 2");
    until("every event is delivered", () -> sent.stream().allMatch(e -> bed.row(e).delivered()));

    assertThat(lost).as("an answer was lost").isTrue();
    assertThat(answers.get(0)).as("the answer lost on its way").extracting(EventOutcome::outcome)
        .containsOnly(EventOutcome.APPLIED);
    List<EventOutcome> redelivered = answers.subList(1, answers.size()).stream().flatMap(List::stream).toList();
    assertThat(redelivered).as("the answers to the redeliveries (one batch or several, as the retries fell due)")
        .extracting(EventOutcome::outcome).containsOnly(EventOutcome.DUPLICATE);
    assertThat(redelivered).extracting(EventOutcome::id)
        .containsExactlyInAnyOrderElementsOf(sent.stream().map(EventEnvelope::id).toList());
    assertThat(committed()).containsExactly("order-a 1", "order-b 1", "order-a 2");
    for (EventEnvelope event : sent) {
      OutboxBed.Row row = bed.row(event);
      assertThat(row.attempts()).as("attempts of " + event.logLine()).isLessThanOrEqualTo(1);
      assertThat(row.failures()).as("a lost answer is no failure of the consumer").isZero();
      assertThat(inboxRows(event)).isOne();
    }
  }
}
