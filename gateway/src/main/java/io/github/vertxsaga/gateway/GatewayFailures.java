package io.github.vertxsaga.gateway;

import io.github.vertxsaga.platform.http.Problems;
import io.vertx.ext.web.RoutingContext;
import io.vertx.json.schema.OutputUnit;
import io.vertx.openapi.validation.SchemaValidationException;
import io.vertx.openapi.validation.ValidatorErrorType;
import io.vertx.openapi.validation.ValidatorException;
import java.util.Comparator;
import java.util.List;

/**
 * The gateway's failure handler: contract violations become 400 naming the offending field (415 for a body that is
 * not JSON); everything else goes to the common problem mapping.
 */
final class GatewayFailures {
  private GatewayFailures() {
  }

  static void handle(RoutingContext ctx) {
    ValidatorException invalid = validation(ctx.failure());
    if (invalid == null) {
      Problems.handleFailure(ctx);
    } else if (invalid.type() == ValidatorErrorType.UNSUPPORTED_VALUE_FORMAT) {
      Problems.send(ctx.response(), 415, "the request body must be application/json");
    } else {
      Problems.send(ctx.response(), 400, describe(invalid));
    }
  }

  private static ValidatorException validation(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof ValidatorException v) {
        return v;
      }
    }
    return null;
  }

  /**
   * The most specific schema error: the deepest field, and there the keyword that failed (minimum, pattern, type)
   * rather than the "properties" wrappers around it. A parameter's error is prefixed with the validator's own
   * message, which names the parameter.
   */
  static String describe(ValidatorException invalid) {
    if (!(invalid instanceof SchemaValidationException schema) || schema.getOutputUnit() == null) {
      return invalid.getMessage();
    }
    List<OutputUnit> errors = schema.getOutputUnit().getErrors();
    OutputUnit best = errors == null || errors.isEmpty() ? schema.getOutputUnit() : errors.stream()
        .filter(unit -> unit.getError() != null)
        .max(Comparator.comparingInt(GatewayFailures::depth).thenComparingInt(unit -> -genericity(unit)))
        .orElse(schema.getOutputUnit());
    String field = field(best.getInstanceLocation());
    // Only an unknown property fails on additionalProperties alone; a known one also fails a more specific keyword.
    String error = genericity(best) == 2 ? "unknown field" : best.getError();
    if (field.isEmpty()) {
      return invalid.getMessage(); // names the parameter, or says the body as a whole is wrong
    }
    return "'" + field + "': " + error;
  }

  private static String keyword(OutputUnit unit) {
    return unit.getKeywordLocation() == null ? "" : unit.getKeywordLocation();
  }

  /** 0 for a leaf keyword (minimum, pattern, type...), 1 for a wrapper, 2 for additionalProperties. */
  private static int genericity(OutputUnit unit) {
    String keyword = keyword(unit);
    if (keyword.endsWith("/additionalProperties")) {
      return 2;
    }
    return keyword.endsWith("/properties") || keyword.endsWith("/items") ? 1 : 0;
  }

  private static int depth(OutputUnit unit) {
    return field(unit.getInstanceLocation()).isEmpty() ? 0 : field(unit.getInstanceLocation()).split("\\.").length;
  }

  /** "#/items/0/quantity" becomes "items[0].quantity". */
  private static String field(String instanceLocation) {
    if (instanceLocation == null) {
      return "";
    }
    String path = instanceLocation.replaceFirst("^#?/?", "");
    return path.replaceAll("/(\\d+)(?=/|$)", "[$1]").replace('/', '.');
  }
}
