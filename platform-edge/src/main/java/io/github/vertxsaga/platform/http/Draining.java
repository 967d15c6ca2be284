package io.github.vertxsaga.platform.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import java.util.function.BooleanSupplier;

/**
 * What an HTTP server does while it drains before stopping: it still answers every request, but each answer carries
 * {@code Connection: close}, so a keep-alive client (the gateway's pool, a browser, a load balancer) does not send its
 * next request on a connection that is about to be closed under it, and opens a new one elsewhere instead.
 */
public final class Draining {
  private Draining() {
  }

  /**
   * A route handler that marks every answer {@code Connection: close} while {@code draining} holds. The flag is read
   * when the answer's headers are written, not when the request arrives: the drain starts on another thread, and a
   * request that came in just before it must not leave with a 503 from {@code /ready} yet a keep-alive connection.
   */
  public static Handler<RoutingContext> closeConnectionsWhile(BooleanSupplier draining) {
    return ctx -> {
      ctx.addHeadersEndHandler(v -> {
        if (draining.getAsBoolean()) {
          ctx.response().putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
        }
      });
      ctx.next();
    };
  }
}
