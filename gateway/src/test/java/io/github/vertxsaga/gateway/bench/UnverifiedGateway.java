package io.github.vertxsaga.gateway.bench;

import io.github.vertxsaga.gateway.Gateway;
import io.github.vertxsaga.gateway.GatewaySettings;
import io.github.vertxsaga.platform.auth.TokenVerifier;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * BENCHMARK ONLY: the gateway with {@link UnverifiedTokens}, started by {@code bin/bench} with the test-jar in front of
 * {@code gateway.jar} on the class path. It logs {@code BENCHMARK BUILD} so a run can check what it measured.
 */
public final class UnverifiedGateway {
  private static final Logger log = LoggerFactory.getLogger(UnverifiedGateway.class);

  private UnverifiedGateway() {
  }

  public static void main(String[] args) {
    Gateway.launch(GatewaySettings.from(System.getenv()), (vertx, settings) -> {
      log.warn("BENCHMARK BUILD: bearer tokens are NOT verified by this JVM (UnverifiedTokens)");
      return Future.<TokenVerifier>succeededFuture(new UnverifiedTokens());
    });
  }
}
