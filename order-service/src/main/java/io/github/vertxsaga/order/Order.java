package io.github.vertxsaga.order;

import io.github.vertxsaga.events.LineItem;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** An order as stored and as the API shows it. */
record Order(String id, String customer, OrderStatus status, List<LineItem> items, String reason, long version,
             long createdAt, long updatedAt) {

  /**
   * This order after {@code trigger}, one version on, as {@link OrderStatus} allows; empty when the trigger changes
   * nothing in its status. {@code reason} is kept only when the order ends REJECTED.
   */
  Optional<Order> after(OrderStatus.Trigger trigger, String reason, long now) {
    return status.after(trigger).map(next -> new Order(id, customer, next, items,
        next == OrderStatus.REJECTED ? reason : null, version + 1, createdAt, now));
  }

  JsonObject toJson() {
    JsonObject json = new JsonObject()
        .put("id", id)
        .put("status", status.name())
        .put("items", LineItem.toJson(items))
        .put("customer", customer)
        .put("createdAt", Instant.ofEpochMilli(createdAt).toString())
        .put("updatedAt", Instant.ofEpochMilli(updatedAt).toString());
    if (reason != null) {
      json.put("reason", reason);
    }
    return json;
  }
}
