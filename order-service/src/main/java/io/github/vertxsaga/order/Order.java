package io.github.vertxsaga.order;

import io.github.vertxsaga.events.LineItem;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;

/** An order as stored and as the API shows it. */
record Order(String id, String customer, OrderStatus status, List<LineItem> items, String reason, long version,
             long createdAt, long updatedAt) {

  Order withStatus(OrderStatus next, String why, long now) {
    return new Order(id, customer, next, items, why, version + 1, createdAt, now);
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
