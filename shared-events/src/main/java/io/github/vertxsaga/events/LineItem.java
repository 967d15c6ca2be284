package io.github.vertxsaga.events;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** One line of an order: a SKU and a positive quantity. */
public record LineItem(String sku, int quantity) {
  /** What a SKU may look like, the same for both services (and in the gateway's OpenAPI contract). */
  public static final Pattern SKU = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  public JsonObject toJson() {
    return new JsonObject().put("sku", sku).put("quantity", quantity);
  }

  public static LineItem fromJson(JsonObject json) {
    return new LineItem(json.getString("sku"), json.getInteger("quantity"));
  }

  public static JsonArray toJson(List<LineItem> items) {
    JsonArray array = new JsonArray();
    items.forEach(item -> array.add(item.toJson()));
    return array;
  }

  public static List<LineItem> listFromJson(JsonArray array) {
    List<LineItem> items = new ArrayList<>(array == null ? 0 : array.size());
    if (array != null) {
      for (int i = 0; i < array.size(); i++) {
        items.add(fromJson(array.getJsonObject(i)));
      }
    }
    return List.copyOf(items);
  }
}
