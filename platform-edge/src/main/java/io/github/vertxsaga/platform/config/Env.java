package io.github.vertxsaga.platform.config;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Typed reads of environment variables with defaults. A bad value stops the service at start-up with a message
 * naming the variable, instead of surfacing later as an odd failure.
 */
public final class Env {
  private final Map<String, String> vars;

  public Env(Map<String, String> vars) {
    this.vars = Map.copyOf(vars);
  }

  public String string(String name, String defaultValue) {
    String value = vars.get(name);
    return value == null || value.isBlank() ? defaultValue : value.trim();
  }

  public int integer(String name, int defaultValue, int min, int max) {
    long value = longValue(name, defaultValue, min, max);
    return (int) value;
  }

  public long longValue(String name, long defaultValue, long min, long max) {
    String raw = vars.get(name);
    if (raw == null || raw.isBlank()) {
      return defaultValue;
    }
    try {
      long value = Long.parseLong(raw.trim());
      if (value < min || value > max) {
        throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", got " + raw);
      }
      return value;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a whole number, got '" + raw + "'");
    }
  }

  public boolean bool(String name, boolean defaultValue) {
    String raw = string(name, null);
    if (raw == null) {
      return defaultValue;
    }
    return switch (raw.toLowerCase()) {
      case "true", "1", "yes" -> true;
      case "false", "0", "no" -> false;
      default -> throw new IllegalArgumentException(name + " must be true or false, got '" + raw + "'");
    };
  }

  public List<String> list(String name, String defaultValue) {
    return Arrays.stream(string(name, defaultValue).split(","))
        .map(String::trim)
        .filter(s -> !s.isEmpty())
        .toList();
  }
}
