package io.github.vertxsaga.order;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.events.LineItem;
import io.github.vertxsaga.order.OrderStatus.Trigger;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The order's state machine, every status against every trigger. */
class OrderStatusTest {

  /** Every move there is; any other (status, trigger) pair changes nothing. */
  static Stream<Arguments> moves() {
    return Stream.of(
        Arguments.of(OrderStatus.PENDING, Trigger.INVENTORY_RESERVED, OrderStatus.CONFIRMED),
        Arguments.of(OrderStatus.PENDING, Trigger.INVENTORY_REJECTED, OrderStatus.REJECTED),
        Arguments.of(OrderStatus.PENDING, Trigger.CANCEL, OrderStatus.CANCELLING),
        Arguments.of(OrderStatus.CONFIRMED, Trigger.CANCEL, OrderStatus.CANCELLING),
        Arguments.of(OrderStatus.CANCELLING, Trigger.INVENTORY_RELEASED, OrderStatus.CANCELLED),
        Arguments.of(OrderStatus.CANCELLING, Trigger.INVENTORY_REJECTED, OrderStatus.CANCELLED));
  }

  @ParameterizedTest(name = "{0} on {1} becomes {2}")
  @MethodSource("moves")
  @DisplayName("a status moves on exactly the triggers of the table")
  void movesOnItsTriggers(OrderStatus from, Trigger trigger, OrderStatus to) {
    assertThat(from.after(trigger)).contains(to);
  }

  static Stream<Arguments> standStill() {
    List<Arguments> pairs = new ArrayList<>();
    for (OrderStatus status : OrderStatus.values()) {
      for (Trigger trigger : Trigger.values()) {
        if (moves().noneMatch(move -> move.get()[0] == status && move.get()[1] == trigger)) {
          pairs.add(Arguments.of(status, trigger));
        }
      }
    }
    return pairs.stream();
  }

  @ParameterizedTest(name = "{0} on {1}")
  @MethodSource("standStill")
  @DisplayName("any other trigger changes nothing")
  void otherTriggersChangeNothing(OrderStatus status, Trigger trigger) {
    assertThat(status.after(trigger)).isEmpty();
  }

  @Test
  @DisplayName("a CANCELLING order stays CANCELLING when inventory reserves for it, and cannot be cancelled again")
  void cancellingWaitsForTheRelease() {
    assertThat(OrderStatus.CANCELLING.after(Trigger.INVENTORY_RESERVED)).isEmpty();
    assertThat(OrderStatus.CANCELLING.after(Trigger.CANCEL)).isEmpty();
  }

  @Test
  @DisplayName("a move gives the order its next version and time; only a REJECTED order keeps the reason")
  void orderAfterATrigger() {
    Order pending = new Order("o-1", "alice", OrderStatus.PENDING, List.of(new LineItem("A", 1)), null, 1, 10, 10);

    Order rejected = pending.after(Trigger.INVENTORY_REJECTED, "unknown SKU A", 20).orElseThrow();
    Order cancelling = pending.after(Trigger.CANCEL, null, 30).orElseThrow();
    Order cancelled = cancelling.after(Trigger.INVENTORY_REJECTED, "unknown SKU A", 40).orElseThrow();

    assertThat(rejected.status()).isEqualTo(OrderStatus.REJECTED);
    assertThat(rejected.reason()).isEqualTo("unknown SKU A");
    assertThat(rejected.version()).isEqualTo(2);
    assertThat(rejected.updatedAt()).isEqualTo(20);
    assertThat(cancelled.status()).isEqualTo(OrderStatus.CANCELLED);
    assertThat(cancelled.reason()).as("a cancelled order has no rejection reason").isNull();
    assertThat(cancelled.version()).isEqualTo(3);
    assertThat(cancelled.createdAt()).isEqualTo(10);
  }
}
