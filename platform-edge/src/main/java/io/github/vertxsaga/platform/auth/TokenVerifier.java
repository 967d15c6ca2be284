package io.github.vertxsaga.platform.auth;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * Tells who a bearer token names, or refuses it. The product verifies JWTs ({@link #create}); the interface is the
 * seam through which the benchmark measures the edge without verification, in code that the build compiles.
 */
public interface TokenVerifier {

  /** The caller of a valid token; a failed future with an {@link InvalidToken} fit for a 401 otherwise. */
  Future<Caller> verify(String token);

  /** The JWT verifier of {@code settings}, keys loaded. */
  static Future<TokenVerifier> create(Vertx vertx, AuthSettings settings) {
    return JwtTokenVerifier.create(vertx, settings);
  }

  /** How a node makes its verifier once its Vert.x exists. */
  @FunctionalInterface
  interface Factory {
    Factory JWT = TokenVerifier::create;

    Future<TokenVerifier> create(Vertx vertx, AuthSettings settings);
  }

  /** A token that does not prove who the caller is. */
  final class InvalidToken extends RuntimeException {
    public InvalidToken(String message) {
      super(message, null, false, false);
    }
  }
}
