package io.github.vertxsaga.order;

import io.github.vertxsaga.events.Payloads.OrderPlaced;
import io.github.vertxsaga.platform.outbox.TransactionalOutbox;
import io.opentelemetry.api.trace.Span;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Places new orders in groups: the orders that arrive while a placement transaction runs wait for it and then go
 * together in the next one, the orders in one statement and their {@code OrderPlaced} rows in another, so a burst of N
 * orders costs one commit and three round trips instead of N and 3N. An order that arrives when none is running goes
 * at once: grouping adds no wait, it only fills the wait there already was. Each order keeps its own trace (its
 * request's span is the parent of its own {@code outbox write}).
 *
 * <p>A group commits or rolls back as one, so when it fails each of its orders is placed again alone: a bad one fails
 * alone and the others are placed. Orders with an {@code Idempotency-Key} do not come here: their key is checked and
 * stored in their own transaction ({@link Idempotency}).
 */
final class OrderPlacement {
  /** Enough to cover a burst on a small machine; a group's transaction stays short. */
  static final int MAX_GROUP = 64;

  private final TransactionalOutbox outbox;
  private final OrderRepository repository;
  private final Deque<Waiting> waiting = new ArrayDeque<>();
  private boolean writing;
  private int largestGroup;

  private record Waiting(Order order, Span parent, Promise<Order> placed) {
  }

  OrderPlacement(TransactionalOutbox outbox, OrderRepository repository) {
    this.outbox = outbox;
    this.repository = repository;
  }

  /** Places a new PENDING order and emits its OrderPlaced, in the group that goes next. */
  Future<Order> place(Order order) {
    Promise<Order> placed = Promise.promise();
    synchronized (this) {
      waiting.add(new Waiting(order, Span.current(), placed));
    }
    next();
    return placed.future();
  }

  /** The most orders one transaction has placed so far (tests). */
  synchronized int largestGroup() {
    return largestGroup;
  }

  private void next() {
    List<Waiting> group = new ArrayList<>();
    synchronized (this) {
      if (writing || waiting.isEmpty()) {
        return;
      }
      while (!waiting.isEmpty() && group.size() < MAX_GROUP) {
        group.add(waiting.poll());
      }
      writing = true;
      largestGroup = Math.max(largestGroup, group.size());
    }
    write(group).onComplete(ar -> {
      synchronized (this) {
        writing = false;
      }
      if (ar.succeeded() || group.size() == 1) {
        group.forEach(w -> w.placed.handle(ar.map(w.order)));
      } else {
        group.forEach(w -> write(List.of(w)).onComplete(alone -> w.placed.handle(alone.map(w.order))));
      }
      next();
    });
  }

  private Future<Void> write(List<Waiting> group) {
    List<Order> orders = group.stream().map(Waiting::order).toList();
    return outbox.inTransaction(group.stream().map(Waiting::parent).toList(), (c, sinks) -> {
      repository.insert(c, orders);
      for (int i = 0; i < orders.size(); i++) {
        Order order = orders.get(i);
        sinks.get(i).emit(new OrderPlaced(order.id(), order.customer(), order.items()), order.version());
      }
      return null;
    });
  }
}
