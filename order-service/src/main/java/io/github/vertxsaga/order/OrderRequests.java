package io.github.vertxsaga.order;

import io.github.vertxsaga.events.LineItem;
import io.github.vertxsaga.platform.http.ApiException;
import io.github.vertxsaga.platform.http.Bodies;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** What order-service accepts from a request: the lines of an order and the status filter, or a 400 naming why not. */
final class OrderRequests {
  static final int MAX_ITEMS = 100;
  static final int MAX_QUANTITY = 10_000;
  static final Set<String> ORDER_FIELDS = Set.of("items");
  private static final Set<String> LINE_FIELDS = Set.of("sku", "quantity");

  private OrderRequests() {
  }

  /** The lines of a new order: 1 to {@link #MAX_ITEMS}, each a sane SKU and a quantity of 1 to {@link #MAX_QUANTITY}. */
  static List<LineItem> items(JsonObject body) {
    Object value = body.getValue("items");
    if (!(value instanceof JsonArray array)) {
      throw ApiException.badRequest(value == null ? "'items' is required" : "'items' must be an array");
    }
    if (array.isEmpty() || array.size() > MAX_ITEMS) {
      throw ApiException.badRequest("'items' must hold 1 to " + MAX_ITEMS + " lines");
    }
    List<LineItem> items = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      String path = "items[" + i + "].";
      if (!(array.getValue(i) instanceof JsonObject line)) {
        throw ApiException.badRequest("'items[" + i + "]' must be an object");
      }
      Bodies.onlyFields(line, LINE_FIELDS, path);
      Object sku = line.getValue("sku");
      String skuText = Bodies.matching(sku instanceof String s ? s : null, LineItem.SKU, path + "sku");
      items.add(new LineItem(skuText, Bodies.integer(line, "quantity", path, 1, MAX_QUANTITY)));
    }
    return List.copyOf(items);
  }

  /** The {@code status} query parameter of a listing; null when absent (every status). */
  static OrderStatus statusFilter(String raw) {
    if (raw == null) {
      return null;
    }
    try {
      return OrderStatus.valueOf(raw);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("'status' must be one of " + Arrays.stream(OrderStatus.values())
          .map(Enum::name).collect(Collectors.joining(", ")));
    }
  }
}
