package io.github.vertxsaga.platform.outbox;

import static io.github.vertxsaga.platform.testing.Eventually.until;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.events.Addresses;
import io.github.vertxsaga.events.EventEnvelope;
import io.github.vertxsaga.events.LineItem;
import io.github.vertxsaga.events.Payloads;
import io.github.vertxsaga.platform.outbox.OutboxSettings;
import io.github.vertxsaga.platform.outbox.OutboxBed.Peer;
import io.github.vertxsaga.platform.testing.TestDatabases.Kind;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** A backlog for one consumer must not hold up the events of another. */
class OutboxBacklogTest extends OnEveryDatabase {
  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("more events waiting for a retry than a relay pass reads do not delay an event that is due")
  void waitingRowsDoNotStarveDueOnes(Kind kind, Vertx vertx) {
    bed = OutboxBed.open(vertx, kind, "backlog");
    // Batches of 5 and a minute between retries: with inventory absent, its rows fill every batch for a long time.
    bed.startRelay(new OutboxSettings(2_000, 50, 5, 3, 60_000, 60_000, 86_400_000L));
    List<EventEnvelope> forInventory = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      forInventory.add(bed.emit("order-backlog-" + i, 1));
    }
    until("every event for the absent inventory has been tried once and waits for its retry",
        () -> forInventory.stream().allMatch(event -> bed.row(event).attempts() == 1));

    Peer orders = bed.peer(Addresses.ORDER_EVENTS, e -> false);
    EventEnvelope due = bed.emit(new Payloads.InventoryReserved("order-due", List.of(new LineItem("SKU-1", 1))), 1);
    until("the event for order-service went through, long before the backlog's retries", Duration.ofSeconds(10),
        () -> orders.acknowledged(due));
    assertThat(forInventory).allSatisfy(event -> assertThat(bed.row(event).delivered()).isFalse());
  }
}
