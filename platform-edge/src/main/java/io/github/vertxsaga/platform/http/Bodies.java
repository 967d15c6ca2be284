package io.github.vertxsaga.platform.http;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;
import java.util.regex.Pattern;

/** Strict reading of JSON request bodies: anything unexpected is a 400 naming the field, before anything is written. */
public final class Bodies {
  private Bodies() {
  }

  /** The body as a JSON object holding only the allowed fields. */
  public static JsonObject object(RoutingContext ctx, Set<String> allowed) {
    String text = ctx.body() == null ? null : ctx.body().asString();
    if (text == null || text.isBlank()) {
      throw ApiException.badRequest("a JSON object body is required");
    }
    Object parsed;
    try {
      parsed = io.vertx.core.json.Json.decodeValue(text);
    } catch (DecodeException e) {
      throw ApiException.badRequest("the request body is not valid JSON");
    }
    if (!(parsed instanceof JsonObject json)) {
      throw ApiException.badRequest("the request body must be a JSON object");
    }
    return onlyFields(json, allowed, "");
  }

  public static JsonObject onlyFields(JsonObject json, Set<String> allowed, String path) {
    for (String name : json.fieldNames()) {
      if (!allowed.contains(name)) {
        throw ApiException.badRequest("unknown field '" + path + name + "'");
      }
    }
    return json;
  }

  /** A JSON integer (not a string, not a fraction) between min and max. */
  public static int integer(JsonObject json, String field, String path, int min, int max) {
    Object value = json.getValue(field);
    if (value == null) {
      throw ApiException.badRequest("'" + path + field + "' is required");
    }
    if (!(value instanceof Integer || value instanceof Long || value instanceof java.math.BigInteger)) {
      throw ApiException.badRequest("'" + path + field + "' must be an integer");
    }
    java.math.BigInteger number = new java.math.BigInteger(value.toString());
    if (number.compareTo(java.math.BigInteger.valueOf(min)) < 0 || number.compareTo(java.math.BigInteger.valueOf(max)) > 0) {
      throw ApiException.badRequest("'" + path + field + "' must be between " + min + " and " + max);
    }
    return number.intValueExact();
  }

  /** {@code value} when it matches {@code format}; a 400 naming the field and the format otherwise. */
  public static String matching(String value, Pattern format, String name) {
    if (value == null || !format.matcher(value).matches()) {
      throw ApiException.badRequest("'" + name + "' must match " + format.pattern());
    }
    return value;
  }
}
