package io.github.vertxsaga.gateway;

import io.github.vertxsaga.platform.http.Problems;
import io.vertx.circuitbreaker.OpenCircuitException;
import io.vertx.circuitbreaker.TimeoutException;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.RequestOptions;
import io.vertx.ext.web.RoutingContext;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forwards a request to one instance of a service and its answer back unchanged. Each attempt goes through that
 * instance's breaker, which also bounds it in time. A GET that fails is tried once more on another instance; any
 * other method is retried only when it never reached the instance (connection refused, breaker open).
 */
final class ProxyHandler {
  private static final Logger log = LoggerFactory.getLogger(ProxyHandler.class);
  /** Hop-by-hop headers (RFC 9110 7.6.1) and those the client connection recomputes. */
  private static final Set<String> NOT_FORWARDED = Set.of("connection", "keep-alive", "proxy-authenticate",
      "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host",
      "content-length");

  private final UpstreamDirectory directory;
  private final HttpClient client;
  private final long timeoutMs;

  ProxyHandler(UpstreamDirectory directory, HttpClient client, long timeoutMs) {
    this.directory = directory;
    this.client = client;
    this.timeoutMs = timeoutMs;
  }

  void forward(RoutingContext ctx, String service) {
    attempt(ctx, service, new HashSet<>(), null);
  }

  private void attempt(RoutingContext ctx, String service, Set<Upstream> tried, Throwable previous) {
    Upstream upstream = directory.next(service, tried);
    if (upstream == null) {
      fail(ctx, service, previous);
      return;
    }
    tried.add(upstream);
    upstream.routed.incrementAndGet();
    upstream.breaker.<Answer>execute(() -> send(ctx, upstream))
        .onSuccess(answer -> relay(ctx, answer))
        .onFailure(failure -> {
          if (tried.size() == 1 && retryable(ctx.request().method(), failure)) {
            log.info("{} {} failed on {} ({}); retrying on another instance", ctx.request().method(),
                ctx.normalizedPath(), upstream.address(), failure.toString());
            attempt(ctx, service, tried, failure);
          } else if (failure instanceof ServerError error) {
            relay(ctx, error.answer); // the service's own 5xx, passed through as it is
          } else {
            fail(ctx, service, failure);
          }
        });
  }

  private Future<Answer> send(RoutingContext ctx, Upstream upstream) {
    HttpServerRequest in = ctx.request();
    String query = in.query();
    RequestOptions options = new RequestOptions()
        .setMethod(in.method())
        .setHost(upstream.host)
        .setPort(upstream.port)
        // The normalised path: "/api/orders/../x" cannot reach anything but what the route allowed.
        .setURI(ctx.normalizedPath() + (query == null ? "" : "?" + query))
        .setIdleTimeout(timeoutMs)
        .setHeaders(forwardedHeaders(in));
    Buffer body = ctx.body().buffer();
    return client.request(options)
        .recover(e -> Future.failedFuture(new NotConnected(e)))
        .compose(request -> body == null ? request.send() : request.send(body))
        .compose(response -> response.body().map(payload -> new Answer(response, payload)))
        .compose(answer -> answer.status >= 500 ? Future.failedFuture(new ServerError(answer)) : Future.succeededFuture(answer));
  }

  private static MultiMap forwardedHeaders(HttpServerRequest in) {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    in.headers().forEach(header -> {
      if (!NOT_FORWARDED.contains(header.getKey().toLowerCase(Locale.ROOT))) {
        headers.add(header.getKey(), header.getValue());
      }
    });
    String forwardedFor = in.headers().get("X-Forwarded-For");
    String client = in.remoteAddress() == null ? "unknown" : in.remoteAddress().hostAddress();
    headers.set("X-Forwarded-For", forwardedFor == null ? client : forwardedFor + ", " + client);
    headers.set("X-Forwarded-Proto", in.scheme() == null ? "http" : in.scheme());
    return headers;
  }

  private static boolean retryable(HttpMethod method, Throwable failure) {
    boolean neverSent = failure instanceof NotConnected || failure instanceof OpenCircuitException;
    return neverSent || method == HttpMethod.GET || method == HttpMethod.HEAD;
  }

  private static void relay(RoutingContext ctx, Answer answer) {
    var response = ctx.response();
    if (response.headWritten()) {
      return;
    }
    response.setStatusCode(answer.status);
    answer.headers.forEach(header -> {
      String name = header.getKey().toLowerCase(Locale.ROOT);
      if (!NOT_FORWARDED.contains(name) && !name.equals("x-request-id")) { // the gateway already echoes its own
        response.headers().add(header.getKey(), header.getValue());
      }
    });
    response.end(answer.body);
  }

  private static void fail(RoutingContext ctx, String service, Throwable failure) {
    int status;
    String detail;
    if (failure == null || failure instanceof OpenCircuitException) {
      status = 503;
      detail = failure == null
          ? "no instance of " + service + " is available"
          : "every instance of " + service + " is failing (circuit breakers open)";
    } else if (failure instanceof TimeoutException || failure instanceof java.util.concurrent.TimeoutException) {
      // The breaker's timer and the request's idle timeout have the same length: either may fire first.
      status = 504;
      detail = service + " did not answer within the gateway timeout";
    } else {
      status = 502;
      detail = service + " failed: " + (failure.getMessage() == null ? failure.toString() : failure.getMessage());
    }
    Problems.send(ctx.response(), status, detail);
  }

  /** A complete answer from a service. */
  private static final class Answer {
    final int status;
    final MultiMap headers;
    final Buffer body;

    Answer(HttpClientResponse response, Buffer body) {
      this.status = response.statusCode();
      this.headers = response.headers();
      this.body = body;
    }
  }

  /** A 5xx from the service: counts against its breaker, then is passed through (or retried, for a GET). */
  private static final class ServerError extends RuntimeException {
    final Answer answer;

    ServerError(Answer answer) {
      super("answered " + answer.status, null, false, false);
      this.answer = answer;
    }
  }

  /** No connection could be made: the request never left, so any method may be tried elsewhere. */
  private static final class NotConnected extends RuntimeException {
    NotConnected(Throwable cause) {
      super("cannot connect: " + cause.getMessage(), cause, false, false);
    }
  }
}
