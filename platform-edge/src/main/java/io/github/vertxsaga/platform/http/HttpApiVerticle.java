package io.github.vertxsaga.platform.http;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.time.Duration;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/** Serves a router on a port; on stop, finishes in-flight requests before closing. */
public final class HttpApiVerticle extends VerticleBase {
  private final int port;
  private final String host;
  private final Function<io.vertx.core.Vertx, Router> routes;
  private final Duration drain;
  private final UnaryOperator<HttpServerOptions> security;
  private HttpServer server;

  /** @param security what secures the port (TLS and client certificates), or {@code UnaryOperator.identity()} */
  public HttpApiVerticle(String host, int port, Duration drain, UnaryOperator<HttpServerOptions> security,
                         Function<io.vertx.core.Vertx, Router> routes) {
    this.host = host;
    this.port = port;
    this.drain = drain;
    this.security = security;
    this.routes = routes;
  }

  @Override
  public Future<?> start() {
    Router router = routes.apply(vertx);
    server = vertx.createHttpServer(security.apply(new HttpServerOptions().setHost(host).setPort(port)
        .setMaxInitialLineLength(8192).setMaxHeaderSize(16 * 1024)));
    return server.requestHandler(router).listen();
  }

  @Override
  public Future<?> stop() {
    return server.shutdown(drain.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /** The port actually bound (HTTP_PORT=0 picks a free one). */
  public int actualPort() {
    return server.actualPort();
  }
}
