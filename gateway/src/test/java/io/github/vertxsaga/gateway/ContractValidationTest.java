package io.github.vertxsaga.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Parameter;
import io.vertx.openapi.validation.RequestParameter;
import io.vertx.openapi.validation.impl.RequestParameterImpl;
import io.vertx.openapi.validation.impl.RequestValidatorImpl;
import io.vertx.ext.web.openapi.router.RequestExtractor;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The gateway's inline validation against vertx-openapi's own validator, on the gateway's published contract: for
 * every value, the same value or the same refusal.
 */
@DisplayName("Contract validation on the event loop")
class ContractValidationTest {
  /** Values of every shape the transformer treats apart: words, JSON literals, quotes, escapes, controls, comments. */
  private static final List<String> VALUES = List.of("BENCH-1", "A1", "abc", "_x", "123", "-1", "1.5", "1e3", "true",
      "false", "null", "true-x", "nul", "tRUE", "N-1", "I-1", "NaN", "Infinity", "\"x\"", "\"", "a\"b", "a\\nb", "a\\",
      "ü-x", " x", "x y", "x ", "{a", "{}", "[1]", "[", "/*c*/1", "//c", "#x", "'x'", "+1", ".5", "x\ty", "x\u0001",
      "order-service:12", "3f2a9c1e-6d0b-4b7a-9a57-0c1d2e3f4a5b", "A".repeat(65), "a/b", "%41", "é", "1a", "1e5", "1E5",
      "-a", "1 a", "1/*a*/", "1a/", "0x1F", "1e5x", "12_3", "1-2", "-", "1.", "1e", "9f", "1#", "-1e", "1ee", "1é",
      "3f2a9c1e-6d0b", "7-e", "1-e2");

  private static Vertx vertx;
  private static OpenAPIContract contract;

  @BeforeAll
  static void load() throws Exception {
    vertx = Vertx.vertx();
    contract = OpenAPIContract.from(vertx, Gateway.document().copy()).map(PrebuiltValidators::of)
        .await(30, TimeUnit.SECONDS);
  }

  @AfterAll
  static void close() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("every string parameter of the contract gets the value, or the refusal, vertx-openapi's validator gives")
  void sameOutcomeAsVertxOpenapi() {
    RequestValidatorImpl theirs = new RequestValidatorImpl(vertx, contract);
    ContractValidation ours = new ContractValidation(vertx, contract, RequestExtractor.withBodyHandler());
    int parameters = 0;
    for (Operation operation : contract.operations()) {
      for (Parameter parameter : operation.getParameters()) {
        parameters++;
        for (String value : VALUES) {
          assertThat(outcome(ours, parameter, value))
              .as("%s %s = %s", operation.getOperationId(), parameter.getName(), value)
              .isEqualTo(outcome(theirs, parameter, value));
        }
      }
    }
    assertThat(parameters).isGreaterThan(5);
  }

  @Test
  @DisplayName("a SKU or an id with a dash is taken as it is, without vertx-openapi's failed JSON parse")
  void plainStringsAreTheirOwnValue() {
    assertThat(ContractValidation.isItsOwnValue("BENCH-1")).isTrue();
    assertThat(ContractValidation.isItsOwnValue("3f2a9c1e-6d0b-4b7a-9a57-0c1d2e3f4a5b")).isTrue();
    assertThat(ContractValidation.isItsOwnValue("order-service:12")).isTrue();
    // Word characters only: vertx-openapi's own shortcut takes them as they are, "123" and "true" too.
    assertThat(ContractValidation.isItsOwnValue("123")).isTrue();
    assertThat(ContractValidation.isItsOwnValue("true")).isTrue();
    for (String json : List.of("-1", "1.5", "1e-5", "true-x", "\"x\"", "[1]", "{}", "/*c*/1", "1 a", " x", "a\"b",
        "a\\nb", "")) {
      assertThat(ContractValidation.isItsOwnValue(json)).as(json).isFalse();
    }
  }

  /** The validated value, or the class and message of the refusal. */
  private static String outcome(RequestValidatorImpl validator, Parameter parameter, String value) {
    try {
      RequestParameter validated = validator.validateParameter(parameter, new RequestParameterImpl(value));
      Object got = validated.get();
      return "value " + (got == null ? "null" : got.getClass().getSimpleName() + ":" + got);
    } catch (RuntimeException e) {
      return "refused " + e.getClass().getSimpleName() + ": " + e.getMessage();
    }
  }
}
