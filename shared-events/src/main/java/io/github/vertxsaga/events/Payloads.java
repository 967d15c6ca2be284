package io.github.vertxsaga.events;

import io.vertx.core.json.JsonObject;
import java.util.List;

/** The payload record of every event type, each with its JSON mapping in one place. */
public final class Payloads {

  private Payloads() {
  }

  /** Reads the payload of a known event type. */
  public static EventPayload read(EventType type, JsonObject data) {
    String orderId = data.getString("orderId");
    return switch (type) {
      case ORDER_PLACED -> new OrderPlaced(orderId, data.getString("customer"), items(data));
      case ORDER_CANCELLED -> new OrderCancelled(orderId, data.getString("previousStatus"));
      case ORDER_CONFIRMED -> new OrderConfirmed(orderId);
      case ORDER_REJECTED -> new OrderRejected(orderId, data.getString("reason"));
      case INVENTORY_RESERVED -> new InventoryReserved(orderId, items(data));
      case INVENTORY_REJECTED -> new InventoryRejected(orderId, data.getString("reason"), data.getString("sku"));
      case INVENTORY_RELEASED -> new InventoryReleased(orderId, items(data));
    };
  }

  private static List<LineItem> items(JsonObject data) {
    return LineItem.listFromJson(data.getJsonArray("items"));
  }

  private static JsonObject order(String orderId) {
    return new JsonObject().put("orderId", orderId);
  }

  public record OrderPlaced(String orderId, String customer, List<LineItem> items) implements EventPayload {
    public EventType type() {
      return EventType.ORDER_PLACED;
    }

    public String aggregateId() {
      return orderId;
    }

    public JsonObject toJson() {
      return order(orderId).put("customer", customer).put("items", LineItem.toJson(items));
    }
  }

  /** {@code previousStatus} tells inventory whether a reservation may exist (PENDING or CONFIRMED). */
  public record OrderCancelled(String orderId, String previousStatus) implements EventPayload {
    public EventType type() {
      return EventType.ORDER_CANCELLED;
    }

    public String aggregateId() {
      return orderId;
    }

    public JsonObject toJson() {
      return order(orderId).put("previousStatus", previousStatus);
    }
  }

  public record OrderConfirmed(String orderId) implements EventPayload {
    public EventType type() {
      return EventType.ORDER_CONFIRMED;
    }

    public String aggregateId() {
      return orderId;
    }

    public JsonObject toJson() {
      return order(orderId);
    }
  }

  public record OrderRejected(String orderId, String reason) implements EventPayload {
    public EventType type() {
      return EventType.ORDER_REJECTED;
    }

    public String aggregateId() {
      return orderId;
    }

    public JsonObject toJson() {
      return order(orderId).put("reason", reason);
    }
  }

  public record InventoryReserved(String orderId, List<LineItem> items) implements EventPayload {
    public EventType type() {
      return EventType.INVENTORY_RESERVED;
    }

    public String aggregateId() {
      return orderId;
    }

    public JsonObject toJson() {
      return order(orderId).put("items", LineItem.toJson(items));
    }
  }

  /** {@code reason} is human-readable; {@code sku} names the line that could not be reserved. */
  public record InventoryRejected(String orderId, String reason, String sku) implements EventPayload {
    public static InventoryRejected insufficientStock(String orderId, String sku, long available, int wanted) {
      return new InventoryRejected(orderId,
          "insufficient stock for SKU " + sku + ": " + wanted + " wanted, " + available + " available", sku);
    }

    public static InventoryRejected unknownSku(String orderId, String sku) {
      return new InventoryRejected(orderId, "unknown SKU " + sku, sku);
    }

    public EventType type() {
      return EventType.INVENTORY_REJECTED;
    }

    public String aggregateId() {
      return orderId;
    }

    public JsonObject toJson() {
      return order(orderId).put("reason", reason).put("sku", sku);
    }
  }

  public record InventoryReleased(String orderId, List<LineItem> items) implements EventPayload {
    public EventType type() {
      return EventType.INVENTORY_RELEASED;
    }

    public String aggregateId() {
      return orderId;
    }

    public JsonObject toJson() {
      return order(orderId).put("items", LineItem.toJson(items));
    }
  }
}
