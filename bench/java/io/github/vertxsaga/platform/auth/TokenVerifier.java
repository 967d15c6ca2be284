package io.github.vertxsaga.platform.auth;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * BENCHMARK ONLY: never part of a product jar. bin/bench compiles this class into its run directory and puts it on the
 * gateway's class path in front of gateway.jar, so that this JVM verifies no token at all: any non-empty bearer token
 * is taken as the same customer. It measures what token verification costs at the edge, everything else equal; the
 * services behind the gateway still run the real verifier on every request.
 */
public final class TokenVerifier {
  private static final Logger log = LoggerFactory.getLogger(TokenVerifier.class);
  private static final Caller ANYONE = new Caller("bench-unverified", Caller.CUSTOMER);
  private static final Future<Caller> ACCEPTED = Future.succeededFuture(ANYONE);

  private TokenVerifier() {
  }

  public static Future<TokenVerifier> create(Vertx vertx, AuthSettings settings) {
    log.warn("BENCHMARK BUILD: bearer tokens are NOT verified by this JVM (bench/java TokenVerifier on the class path)");
    return Future.succeededFuture(new TokenVerifier());
  }

  public Future<Caller> verify(String token) {
    return token.isEmpty() ? Future.failedFuture(new InvalidToken("malformed token")) : ACCEPTED;
  }

  /** Same shape as the product's. */
  public static final class InvalidToken extends RuntimeException {
    public InvalidToken(String message) {
      super(message, null, false, false);
    }
  }
}
