package io.github.vertxsaga.gateway;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.ext.web.openapi.router.RequestExtractor;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.json.schema.JsonSchemaValidationException;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.common.dsl.SchemaType;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Parameter;
import io.vertx.openapi.contract.Style;
import io.vertx.openapi.validation.RequestParameter;
import io.vertx.openapi.validation.SchemaValidationException;
import io.vertx.openapi.validation.ValidatableRequest;
import io.vertx.openapi.validation.ValidatedRequest;
import io.vertx.openapi.validation.ValidatorException;
import io.vertx.openapi.validation.impl.RequestParameterImpl;
import io.vertx.openapi.validation.impl.RequestValidatorImpl;
import io.vertx.openapi.validation.impl.ValidatedRequestImpl;
import java.util.HashMap;
import java.util.Map;

/**
 * The contract's request validation, run on the event loop that received the request: vertx-openapi's own checks
 * (parameters, then the body), with the same errors, but without its two costs on every request.
 *
 * <p>vertx-openapi's validator hands each request to the worker pool ({@code executeBlocking}, ordered per event
 * loop) and back, though validating a parameter or a 64 KiB body only computes: two thread hand-offs per request, and
 * requests of one event loop queued behind each other on one worker. And its parameter transformer first parses every
 * string that is not made of word characters only (a SKU such as {@code BENCH-1}) as a JSON document, which fails
 * with an exception, before it parses it again in quotes. A string that cannot begin a JSON value and holds nothing a
 * JSON string would unescape is its own value there: it is taken as it is, and every other value still goes through
 * vertx-openapi's transformer.
 */
final class ContractValidation extends RequestValidatorImpl {
  private final OpenAPIContract contract;
  private final RequestExtractor extractor;

  ContractValidation(Vertx vertx, OpenAPIContract contract, RequestExtractor extractor) {
    super(vertx, contract);
    this.contract = contract;
    this.extractor = extractor;
  }

  /**
   * The handler that validates {@code operation}'s requests where the contract router's own would, failing the
   * request as that one does (400 carrying the validator's exception, which {@link GatewayFailures} describes).
   */
  Handler<RoutingContext> of(Operation operation) {
    return ctx -> extractor.extractValidatableRequest(ctx, operation)
        .onSuccess(request -> {
          ValidatedRequest validated;
          try {
            validated = validateNow(request, operation);
          } catch (ValidatorException e) {
            ctx.fail(new HttpException(400, e.getMessage(), e));
            return;
          } catch (RuntimeException e) { // a failed future there: 500 through the failure handler, never a hang
            ctx.fail(e);
            return;
          }
          ctx.put(RouterBuilder.KEY_META_DATA_VALIDATED_REQUEST, validated);
          ctx.next();
        })
        .onFailure(e -> ctx.fail(e instanceof ValidatorException ? new HttpException(400, e.getMessage(), e) : e));
  }

  /** What {@code RequestValidatorImpl.validate} computes on a worker, in the same order, on the caller's thread. */
  ValidatedRequest validateNow(ValidatableRequest request, Operation operation) {
    Map<String, RequestParameter> cookies = new HashMap<>(request.getCookies().size());
    Map<String, RequestParameter> headers = new HashMap<>(request.getHeaders().size());
    Map<String, RequestParameter> path = new HashMap<>(request.getPathParameters().size());
    Map<String, RequestParameter> query = new HashMap<>(request.getQuery().size());
    for (Parameter param : operation.getParameters()) {
      switch (param.getIn()) {
        case COOKIE -> cookies.put(param.getName(), validateParameter(param, request.getCookies().get(param.getName())));
        case HEADER -> headers.put(param.getName(), validateParameter(param, request.getHeaders().get(param.getName())));
        case PATH -> path.put(param.getName(), validateParameter(param, request.getPathParameters().get(param.getName())));
        case QUERY -> query.put(param.getName(), validateParameter(param, request.getQuery().get(param.getName())));
      }
    }
    RequestParameter body = validateBody(operation.getRequestBody(), request);
    return new ValidatedRequestImpl(cookies, headers, path, query, body);
  }

  @Override
  public RequestParameter validateParameter(Parameter parameter, RequestParameter value) {
    if (value == null || value.isNull() || parameter.getStyle() != Style.SIMPLE
        || parameter.getSchemaType() != SchemaType.STRING || !isItsOwnValue(String.valueOf(value.get()))) {
      return super.validateParameter(parameter, value);
    }
    String raw = String.valueOf(value.get());
    OutputUnit result = contract.getSchemaRepository().validator(parameter.getSchema()).validate(raw);
    try {
      result.checkValidity();
      return new RequestParameterImpl(raw);
    } catch (JsonSchemaValidationException e) {
      throw SchemaValidationException.createErrorFromOutputUnitType(parameter, result, e);
    }
  }

  /**
   * Whether vertx-openapi's transformer would turn {@code raw} into the string {@code raw} itself: word characters
   * only (its shortcut), or a value its first parse cannot read as JSON (a first character no JSON value, nor the
   * comment Vert.x's parser allows, starts with; or a number's first character followed by a letter no number holds)
   * so that its second reads {@code "raw"} as a JSON string, which is {@code raw} unless it holds a quote, a
   * backslash or a control character. {@code ContractValidationTest} holds it to vertx-openapi's own answers.
   */
  static boolean isItsOwnValue(String raw) {
    if (raw.isEmpty()) {
      return false;
    }
    boolean word = true;
    boolean ignorable = false; // whitespace or the start of a comment: JSON after a number may end in it
    boolean notInANumber = false; // a letter no number holds (e and E may be its exponent)
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '"' || c == '\\' || c < 0x20) {
        return false;
      }
      boolean letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      word &= c == '_' || letter || (c >= '0' && c <= '9');
      ignorable |= c == ' ' || c == '/' || c == '#';
      notInANumber |= c == '_' || (letter && c != 'e' && c != 'E');
    }
    char first = raw.charAt(0);
    if (word || "+.\"'{[/#tfnNI ".indexOf(first) < 0 && first != '-' && (first < '0' || first > '9')) {
      return true;
    }
    // A number's first character (an id such as 3f2a9c1e-...): no number, so it fails as JSON, when it holds a
    // letter a number cannot and nothing after which JSON may stop.
    return (first == '-' || (first >= '0' && first <= '9')) && notInANumber && !ignorable;
  }
}
