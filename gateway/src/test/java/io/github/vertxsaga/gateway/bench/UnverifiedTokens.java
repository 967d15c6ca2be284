package io.github.vertxsaga.gateway.bench;

import io.github.vertxsaga.platform.auth.Caller;
import io.github.vertxsaga.platform.auth.TokenVerifier;
import io.vertx.core.Future;

/**
 * BENCHMARK ONLY, in the gateway's test-jar and never in a product jar: takes any non-empty bearer token as the same
 * customer, so that {@code bin/bench} measures what token verification costs at the edge, everything else equal. The
 * services behind the gateway still verify every token.
 */
public final class UnverifiedTokens implements TokenVerifier {
  static final Caller ANYONE = new Caller("bench-unverified", Caller.CUSTOMER);
  private static final Future<Caller> ACCEPTED = Future.succeededFuture(ANYONE);

  @Override
  public Future<Caller> verify(String token) {
    return token.isEmpty() ? Future.failedFuture(new InvalidToken("malformed token")) : ACCEPTED;
  }
}
