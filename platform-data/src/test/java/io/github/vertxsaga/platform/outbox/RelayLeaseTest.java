package io.github.vertxsaga.platform.outbox;

import static io.github.vertxsaga.platform.testing.Eventually.result;
import static io.github.vertxsaga.platform.testing.Eventually.until;
import static io.github.vertxsaga.platform.testing.Eventually.value;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.events.Addresses;
import io.github.vertxsaga.events.EventBatch;
import io.github.vertxsaga.events.EventEnvelope;
import io.github.vertxsaga.events.LineItem;
import io.github.vertxsaga.events.Payloads;
import io.github.vertxsaga.platform.outbox.OutboxBed.Delivered;
import io.github.vertxsaga.platform.testing.TestDatabases.Kind;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Two relays of one service on one database, as two instances run them, feeding the real inbox consumer: the lease
 * decides which one delivers, hands over when it stops or goes silent, and fences the one that lost it.
 */
class RelayLeaseTest extends OnEveryDatabase {
  /** A short lease: a silent relay stops delivering 1.8 s after its last renewal; another takes over after 2-2.4 s. */
  private static final OutboxSettings QUICK = OutboxBed.fastSettings(3).withLease(2_000, 400);
  /** What a loaded machine may add to the takeover bound, on top of the lease and one renew interval. */
  private static final long SLACK_MS = 2_000;

  /** Applications by the consumer, "order#sequence", in the order they happened. */
  private final List<String> applied = Collections.synchronizedList(new ArrayList<>());
  /** Deliveries arriving at the consumer, per event id, duplicates included. */
  private final Map<String, AtomicInteger> arrivals = new ConcurrentHashMap<>();

  private void open(Vertx vertx, Kind kind, String label, Consumer<EventEnvelope> beforeApply) {
    bed = OutboxBed.open(vertx, kind, label);
    vertx.eventBus().addInboundInterceptor(context -> {
      if (Addresses.INVENTORY_EVENTS.equals(context.message().address())
          && context.message().body() instanceof EventEnvelope envelope) {
        arrivals.computeIfAbsent(envelope.id(), id -> new AtomicInteger()).incrementAndGet();
      } else if (context.message().body() instanceof EventBatch batch) {
        batch.events().forEach(envelope -> arrivals.computeIfAbsent(envelope.id(), id -> new AtomicInteger())
            .incrementAndGet());
      }
      context.next();
    });
    EventHandler handler = (envelope, payload, c, events) -> {
      beforeApply.accept(envelope);
      applied.add(envelope.subject() + "#" + envelope.sequence());
      bed.insertScratch(c, envelope.id(), envelope.subject());
    };
    result(vertx.deployVerticle(new InboxConsumer("lease-test", Addresses.INVENTORY_EVENTS, bed.outbox, handler, "")));
  }

  private void open(Vertx vertx, Kind kind, String label) {
    open(vertx, kind, label, envelope -> {
    });
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("of two relays on one database exactly one is active, and it alone delivers every event, once")
  void exactlyOneRelayIsActive(Kind kind, Vertx vertx) {
    open(vertx, kind, "one-active");
    OutboxSettings settings = OutboxBed.fastSettings(3); // the default lease: 3 s, renewed every second
    OutboxRelay a = bed.startRelay(settings);
    OutboxRelay b = bed.startRelay(settings);
    OutboxRelay active = awaitActive(a, b);
    OutboxRelay standby = active == a ? b : a;

    List<EventEnvelope> events = emitOrders("one", 4, 5);
    awaitDelivered("one");

    long token = active.lease().token();
    assertThat(standby.lease().token()).as("the standby's token").isZero();
    assertThat(bed.lease().holder()).isEqualTo(active.lease().holder());
    assertThat(bed.lease().token()).isEqualTo(token);
    assertThat(bed.deliveredInOrder()).extracting(Delivered::deliveredBy).containsOnly(token);
    assertThat(events).allSatisfy(event -> assertThat(arrivals(event)).as("deliveries of " + event.logLine()).isOne());
    assertAppliedOnceInOrder(events);
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("the active relay that is undeployed releases its lease: the other takes over at its next attempt, "
      + "long before the lease would have expired")
  void stoppingHandsOverAtOnce(Kind kind, Vertx vertx) {
    open(vertx, kind, "handover");
    OutboxSettings settings = OutboxBed.fastSettings(3).withLease(20_000, 300);
    OutboxRelay a = bed.startRelay(settings);
    awaitActive(a);
    OutboxRelay b = bed.startRelay(settings);
    List<EventEnvelope> before = emitOrders("before", 2, 3);
    awaitDelivered("before");
    long aToken = a.lease().token();

    long stopping = System.nanoTime();
    bed.stopRelay(a);
    until("the other relay takes over", Duration.ofSeconds(10), () -> b.lease().token() != 0);
    long handoverMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopping);
    System.out.printf("handover after undeploying the active relay: %d ms (lease %d ms, renewed every %d ms)%n",
        handoverMs, settings.leaseMs(), settings.leaseRenewMs());

    assertThat(handoverMs).as("ms from undeploy to takeover").isLessThan(5_000);
    assertThat(b.lease().token()).isEqualTo(aToken + 1);
    List<EventEnvelope> after = emitOrders("after", 2, 3);
    awaitDelivered("after");
    assertThat(before).allSatisfy(event -> assertThat(bed.row(event).deliveredBy()).isEqualTo(aToken));
    assertThat(after).allSatisfy(event -> assertThat(bed.row(event).deliveredBy()).isEqualTo(aToken + 1));
    assertTokensNeverDecrease(2);
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("a relay whose renewals stop (frozen, or cut off from its database) stops delivering, and the other "
      + "takes over within the lease and one renew interval")
  void silentRelayIsReplaced(Kind kind, Vertx vertx) {
    open(vertx, kind, "silent");
    OutboxRelay a = bed.startRelay(QUICK);
    awaitActive(a);
    OutboxRelay b = bed.startRelay(QUICK);
    emitOrders("before", 2, 2);
    awaitDelivered("before");
    long aToken = a.lease().token();

    long silent = System.nanoTime();
    a.lease().pause();
    until("the silent relay stops delivering", Duration.ofSeconds(10), () -> a.lease().token() == 0);
    long stoppedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - silent);
    List<EventEnvelope> during = emitOrders("during", 3, 4); // they wait for the next holder
    until("the other relay takes over", Duration.ofSeconds(15), () -> b.lease().token() != 0);
    long takeoverMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - silent);
    System.out.printf("renewals stopped: the silent relay stood down after %d ms, the other took over after %d ms "
        + "(lease %d ms, renewed every %d ms)%n", stoppedMs, takeoverMs, QUICK.leaseMs(), QUICK.leaseRenewMs());

    assertThat(takeoverMs).as("ms from the last renewal to the takeover")
        .isLessThanOrEqualTo(QUICK.leaseMs() + QUICK.leaseRenewMs() + SLACK_MS);
    assertThat(b.lease().token()).isEqualTo(aToken + 1);
    awaitDelivered("during");
    assertTokensNeverDecrease(2);
    assertAppliedOnceInOrder(during);

    a.lease().resume();
    List<EventEnvelope> later = emitOrders("later", 2, 2);
    awaitDelivered("later");
    assertThat(later).allSatisfy(event -> assertThat(bed.row(event).deliveredBy()).isEqualTo(aToken + 1));
    assertThat(a.lease().token()).as("the resumed relay's token").isZero();
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("a relay that lost its lease while an event was out records nothing: the new holder delivers the "
      + "event again, the inbox absorbs the duplicate, and the stale token marks no row")
  void staleRelayRecordsNothing(Kind kind, Vertx vertx) throws InterruptedException {
    CountDownLatch inHand = new CountDownLatch(1);
    CountDownLatch takenOver = new CountDownLatch(1);
    AtomicBoolean first = new AtomicBoolean(true);
    open(vertx, kind, "stale", envelope -> {
      if (first.getAndSet(false)) {
        // The first delivery is held inside the consumer, unacknowledged, until its relay has lost the lease.
        inHand.countDown();
        awaitQuietly(takenOver);
      }
    });
    OutboxRelay a = bed.startRelay(QUICK);
    awaitActive(a);
    OutboxRelay b = bed.startRelay(QUICK);
    long aToken = a.lease().token();

    EventEnvelope event = bed.emit("order-stale", 1);
    assertThat(inHand.await(10, TimeUnit.SECONDS)).as("the first relay has the event out").isTrue();
    a.lease().pause();
    until("the other relay takes over", Duration.ofSeconds(15), () -> b.lease().token() != 0);
    long bToken = b.lease().token();
    takenOver.countDown();

    until("the stale relay tried to record its delivery and was refused", Duration.ofSeconds(15),
        () -> a.lease().unrecorded() >= 1);
    until("the event is marked delivered", () -> bed.row(event).delivered());
    assertThat(bed.row(event).deliveredBy()).as("the token it was recorded under").isEqualTo(bToken);
    until("the new holder delivered it again", () -> arrivals(event) >= 2);
    assertThat(applied).as("applications").containsExactly("order-stale#1");
    assertThat(bed.count("SELECT COUNT(*) FROM inbox WHERE event_id = ?", event.id())).isOne();

    // A row no consumer acknowledges (order-service is absent here) stays undelivered; the stale token cannot mark it.
    EventEnvelope waiting = bed.emit(new Payloads.InventoryReserved("order-waiting", List.of(new LineItem("S", 1))), 1);
    long waitingId = bed.row(waiting).id();
    assertThat(bed.markDelivered(List.of(waitingId), aToken)).as("rows the stale token marks").isZero();
    assertThat(bed.row(waiting).delivered()).isFalse();
    assertThat(bed.markDelivered(List.of(waitingId), bToken)).as("rows the current token marks").isOne();
    assertTokensNeverDecrease(1);
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("through takeovers under load every event is applied once and in order per order, and the tokens of "
      + "delivered rows never decrease in the order they were recorded")
  void takeoversKeepOrderAndFencing(Kind kind, Vertx vertx) {
    open(vertx, kind, "takeovers");
    OutboxRelay a = bed.startRelay(QUICK);
    awaitActive(a);
    OutboxRelay b = bed.startRelay(QUICK);
    // Each burst has orders of its own, so that each order's events are emitted by one chain, in sequence.
    List<Future<List<EventEnvelope>>> bursts = new ArrayList<>();
    bursts.add(emitOrdersAsync("load-first", 4, 1, 5));
    awaitDelivered("load-first");
    OutboxRelay holder = a;
    OutboxRelay other = b;
    for (int round = 0; round < 2; round++) {
      // Freeze the holder with events in flight; once it stood down, more wait for the other, which takes over.
      bursts.add(emitOrdersAsync("load-" + round + "-flight", 4, 1, 10));
      holder.lease().pause();
      OutboxRelay frozen = holder;
      until("round " + round + ": the frozen relay stands down", Duration.ofSeconds(15),
          () -> frozen.lease().token() == 0);
      bursts.add(Future.succeededFuture(emitOrders("load-" + round + "-waiting", 4, 5)));
      OutboxRelay next = other;
      until("round " + round + ": the other relay takes over", Duration.ofSeconds(15),
          () -> next.lease().token() != 0);
      awaitDelivered("load-" + round + "-waiting");
      frozen.lease().resume();
      other = frozen;
      holder = next;
    }
    bursts.add(emitOrdersAsync("load-stop-flight", 4, 1, 10));
    bed.stopRelay(holder); // the last handover by a stop, with events in flight
    OutboxRelay last = other;
    until("the remaining relay takes over", Duration.ofSeconds(15), () -> last.lease().token() != 0);
    bursts.add(emitOrdersAsync("load-last", 4, 1, 5));
    List<EventEnvelope> events = bursts.stream().flatMap(burst -> result(burst).stream()).toList();
    awaitDelivered("load");

    assertThat(events).hasSize(4 * 50);
    assertAppliedOnceInOrder(events);
    List<Delivered> delivered = assertTokensNeverDecrease(4);
    long redelivered = events.stream().filter(event -> arrivals(event) > 1).count();
    System.out.printf("%d events through 3 takeovers: %d delivered more than once, absorbed by the inbox; tokens %s%n",
        events.size(), redelivered, delivered.stream().map(Delivered::deliveredBy).distinct().toList());
  }

  private static OutboxRelay awaitActive(OutboxRelay... relays) {
    return value("a relay is active", Duration.ofSeconds(15),
        () -> Stream.of(relays).filter(relay -> relay.lease() != null && relay.lease().token() != 0).findFirst());
  }

  /** Emits {@code events} events of each of {@code orders} orders, each order's in sequence, the orders at once. */
  private List<EventEnvelope> emitOrders(String prefix, int orders, int events) {
    return result(emitOrdersAsync(prefix, orders, 1, events));
  }

  private Future<List<EventEnvelope>> emitOrdersAsync(String prefix, int orders, int firstSequence, int events) {
    List<Future<List<EventEnvelope>>> chains = new ArrayList<>();
    for (int o = 0; o < orders; o++) {
      String orderId = prefix + "-" + o;
      Future<List<EventEnvelope>> chain = Future.succeededFuture(new ArrayList<>());
      for (int sequence = firstSequence; sequence < firstSequence + events; sequence++) {
        long seq = sequence;
        chain = chain.compose(emitted -> bed.outbox.inTransaction((c, sink) -> sink.emit(OutboxBed.placed(orderId), seq)).map(envelope -> {
              emitted.add(envelope);
              return emitted;
            }));
      }
      chains.add(chain);
    }
    return Future.all(chains).map(all -> chains.stream().flatMap(chain -> chain.result().stream()).toList());
  }

  private void awaitDelivered(String prefix) {
    until("every event of the " + prefix + " orders is marked delivered", Duration.ofSeconds(30),
        () -> bed.count("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL AND aggregate_id LIKE ?",
            prefix + "-%") == 0);
  }

  private long arrivals(EventEnvelope event) {
    AtomicInteger count = arrivals.get(event.id());
    return count == null ? 0 : count.get();
  }

  /** Each event applied exactly once, and the events of each order in the order emitted. */
  private void assertAppliedOnceInOrder(List<EventEnvelope> events) {
    Map<String, List<Long>> emitted = new LinkedHashMap<>();
    events.forEach(e -> emitted.computeIfAbsent(e.subject(), k -> new ArrayList<>()).add(e.sequence()));
    List<String> all = List.copyOf(applied);
    emitted.forEach((order, sequences) -> assertThat(all.stream().filter(a -> a.startsWith(order + "#"))
        .map(a -> Long.parseLong(a.substring(order.length() + 1))).toList())
        .as("sequences of " + order + " in the order applied").containsExactlyElementsOf(sequences));
  }

  /**
   * The fencing property, from the database: in the order the rows were recorded, the token they were recorded under
   * never decreases; so no relay recorded anything once a later one had taken over. Returns the rows.
   */
  private List<Delivered> assertTokensNeverDecrease(int atLeastTokens) {
    List<Delivered> delivered = bed.deliveredInOrder();
    for (int i = 1; i < delivered.size(); i++) {
      assertThat(delivered.get(i).deliveredBy()).as("token of %s, recorded after %s", delivered.get(i),
          delivered.get(i - 1)).isGreaterThanOrEqualTo(delivered.get(i - 1).deliveredBy());
    }
    assertThat(delivered.stream().map(Delivered::deliveredBy).distinct().count()).as("tokens seen")
        .isGreaterThanOrEqualTo(atLeastTokens);
    return delivered;
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      if (!latch.await(20, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the test never let the held delivery go");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
