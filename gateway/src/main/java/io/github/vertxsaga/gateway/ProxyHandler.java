package io.github.vertxsaga.gateway;

import io.github.vertxsaga.platform.http.Problems;
import io.vertx.circuitbreaker.OpenCircuitException;
import io.vertx.circuitbreaker.TimeoutException;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.RoutingContext;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forwards a request to one instance of a service and its answer back unchanged. Each attempt goes through that
 * instance's breaker, which also bounds it in time. A GET that fails is tried once more on another instance; a
 * request of any method that never reached an instance (connection refused, handshake refused, breaker open) goes
 * on to the next one. A write that carries an {@code Idempotency-Key} and lost its connection (reset or closed
 * before an answer: the instance died, or was dead before the pooled connection noticed) is sent once more to
 * another instance: RFC 9110 9.2.2 allows an automatic retry of a request known to be idempotent, and the services
 * store a key's first answer in the transaction of its change, in the database all their instances share, so the
 * second instance either replays the first one's answer or makes the change the first never committed.
 *
 * <p>A read's first attempt is bounded by the shorter read-attempt timeout: an instance the network stopped
 * answering (a pooled connection whose packets are dropped) would otherwise hold the GET for the whole request
 * timeout before the retry elsewhere, and the client may give up first. The retry, and every write, gets the whole
 * request timeout; a write is never re-sent, so cutting its wait short would only turn a late answer into a 504.
 */
final class ProxyHandler {
  private static final Logger log = LoggerFactory.getLogger(ProxyHandler.class);
  /**
   * Hop-by-hop headers (RFC 9110 7.6.1) and those the client connection recomputes. The caller's trace context is
   * one of them: the gateway's server span continues it, and the client span of each attempt puts its own
   * {@code traceparent} on the request (added, so a forwarded one would make two). Compared ignoring case, without
   * a lower-cased copy of every header name of every request and answer.
   */
  private static final Set<String> NOT_FORWARDED = caseInsensitive("connection", "keep-alive", "proxy-authenticate",
      "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host",
      "content-length", "traceparent", "tracestate");

  private static final String IDEMPOTENCY_KEY = "Idempotency-Key";

  /** A request to send to some instance of a service. */
  record Outgoing(HttpMethod method, String uri, MultiMap headers, Buffer body) {
  }

  /** A complete answer from a service. */
  record Answer(int status, MultiMap headers, Buffer body) {
  }

  private final UpstreamDirectory directory;
  private final HttpClient client;
  private final long timeoutMs;
  private final long readAttemptMs;

  ProxyHandler(UpstreamDirectory directory, HttpClient client, long timeoutMs, long readAttemptMs) {
    this.directory = directory;
    this.client = client;
    this.timeoutMs = timeoutMs;
    this.readAttemptMs = readAttemptMs;
  }

  /** Proxies the routed request to the service and writes its answer, or a problem, back. */
  void forward(RoutingContext ctx, String service) {
    HttpServerRequest in = ctx.request();
    String query = in.query();
    // The normalised path: "/api/orders/../x" cannot reach anything but what the route allowed.
    Outgoing outgoing = new Outgoing(in.method(), ctx.normalizedPath() + (query == null ? "" : "?" + query),
        forwardedHeaders(in), ctx.body().buffer());
    exchange(service, outgoing)
        .onSuccess(answer -> relay(ctx, answer))
        .onFailure(failure -> fail(ctx, service, failure));
  }

  /** Sends to one instance, then (when it is safe) to one other; the service's own 5xx is an answer, not a failure. */
  Future<Answer> exchange(String service, Outgoing outgoing) {
    return attempt(service, outgoing, new HashSet<>(), null)
        .recover(failure -> failure instanceof ServerError error
            ? Future.succeededFuture(error.answer) // the service's own 5xx, when no other instance could do better
            : Future.failedFuture(failure));
  }

  private Future<Answer> attempt(String service, Outgoing outgoing, Set<Upstream> tried, Throwable previous) {
    Upstream upstream = directory.next(service, tried);
    if (upstream == null) {
      return Future.failedFuture(previous instanceof ServerError error ? error : new NoInstance(previous));
    }
    long attemptMs = tried.isEmpty() && isRead(outgoing.method()) ? readAttemptMs : timeoutMs;
    tried.add(upstream);
    upstream.routed.incrementAndGet();
    return upstream.breaker.<Answer>execute(() -> send(upstream, outgoing, attemptMs))
        .recover(failure -> {
          if (retryable(outgoing, failure, tried.size())) {
            log.info("{} {} failed on {} ({}); retrying on another instance", outgoing.method(), outgoing.uri(),
                upstream.address(), failure.toString());
            return attempt(service, outgoing, tried, failure);
          }
          return Future.failedFuture(failure);
        });
  }

  private Future<Answer> send(Upstream upstream, Outgoing outgoing, long attemptMs) {
    // Connects to the instance's address, but asks for the service by name: with TLS on, the client's host check
    // then passes only a certificate that names the service, so a record forged or gone stale (another process now
    // on that address) gets no request and no token; the handshake fails before either is sent.
    RequestOptions options = new RequestOptions()
        .setMethod(outgoing.method())
        .setServer(SocketAddress.inetSocketAddress(upstream.port, upstream.host))
        .setHost(upstream.service)
        .setPort(upstream.port)
        .setURI(outgoing.uri())
        // Both bounds: an instance that accepts TCP but never finishes the TLS handshake (a paused JVM) holds the
        // connection phase, which the idle timeout does not cover, for the client's 10 s handshake timeout.
        .setConnectTimeout(attemptMs)
        .setIdleTimeout(attemptMs)
        .setTraceOperation(outgoing.method().name() + " " + upstream.service)
        .setHeaders(outgoing.headers());
    return client.request(options)
        .recover(e -> Future.failedFuture(new NotConnected(e)))
        .compose(request -> outgoing.body() == null ? request.send() : request.send(outgoing.body()))
        .compose(response -> response.body().map(body -> new Answer(response.statusCode(), response.headers(), body)))
        .compose(answer -> answer.status() >= 500 && !isRefusal(answer)
            ? Future.failedFuture(new ServerError(answer))
            : Future.succeededFuture(answer));
  }

  /**
   * A 503 with Retry-After is a healthy instance saying "not now" on purpose (order-service past its backlog bound):
   * an answer for the client, passed through as it is; counted against the breaker it would open the circuit of a
   * service that works, and the gateway would then answer for it without the Retry-After.
   */
  private static boolean isRefusal(Answer answer) {
    return answer.status() == 503 && answer.headers().contains("Retry-After");
  }

  static MultiMap forwardedHeaders(HttpServerRequest in) {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    in.headers().forEach(header -> {
      if (!NOT_FORWARDED.contains(header.getKey())) {
        headers.add(header.getKey(), header.getValue());
      }
    });
    String forwardedFor = in.headers().get("X-Forwarded-For");
    String client = in.remoteAddress() == null ? "unknown" : in.remoteAddress().hostAddress();
    headers.set("X-Forwarded-For", forwardedFor == null ? client : forwardedFor + ", " + client);
    headers.set("X-Forwarded-Proto", in.scheme() == null ? "http" : in.scheme());
    return headers;
  }

  private static Set<String> caseInsensitive(String... names) {
    Set<String> set = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
    set.addAll(List.of(names));
    return Collections.unmodifiableSet(set);
  }

  /**
   * A request that never left (no connection, a refused handshake, an open breaker) may go to every other instance
   * in turn, whatever its method; one that was sent is tried once more elsewhere when it is a GET or a HEAD, or a
   * keyed write whose connection broke. A keyed write that timed out is not: the instance may still be working on
   * it, and a second copy would only double the load of a service that is already slow.
   */
  private static boolean retryable(Outgoing outgoing, Throwable failure, int attempts) {
    boolean neverSent = failure instanceof NotConnected || failure instanceof OpenCircuitException;
    if (neverSent) {
      return true;
    }
    if (attempts != 1) {
      return false;
    }
    return isRead(outgoing.method()) || (isKeyed(outgoing) && isBrokenConnection(failure));
  }

  private static boolean isKeyed(Outgoing outgoing) {
    return outgoing.headers().contains(IDEMPOTENCY_KEY);
  }

  /** The transport failed under the request: neither an answer (a 5xx is one) nor a time-out. */
  private static boolean isBrokenConnection(Throwable failure) {
    return !(failure instanceof ServerError) && !isTimeout(failure);
  }

  private static boolean isRead(HttpMethod method) {
    return method == HttpMethod.GET || method == HttpMethod.HEAD;
  }

  static void relay(RoutingContext ctx, Answer answer) {
    var response = ctx.response();
    if (response.headWritten()) {
      return;
    }
    response.setStatusCode(answer.status());
    answer.headers().forEach(header -> {
      String name = header.getKey();
      if (!NOT_FORWARDED.contains(name) && !name.equalsIgnoreCase("x-request-id")) { // the gateway echoes its own
        response.headers().add(header.getKey(), header.getValue());
      }
    });
    response.end(answer.body());
  }

  static void fail(RoutingContext ctx, String service, Throwable failure) {
    int status;
    String detail;
    Throwable last = failure instanceof NoInstance ? failure.getCause() : failure;
    if (last == null || last instanceof OpenCircuitException) {
      status = 503;
      detail = last == null
          ? "no instance of " + service + " is available"
          : "every instance of " + service + " is failing (circuit breakers open)";
    } else if (isTimeout(last)) {
      // The breaker's timer and the request's idle timeout have the same length: either may fire first.
      status = 504;
      detail = service + " did not answer within the gateway timeout";
    } else {
      status = 502;
      detail = service + " failed: " + (last.getMessage() == null ? last.toString() : last.getMessage());
    }
    Problems.send(ctx.response(), status, detail);
  }

  /** The breaker's own time-out, or the HTTP client's idle time-out, whichever fired first. */
  private static boolean isTimeout(Throwable failure) {
    return failure instanceof TimeoutException || failure instanceof java.util.concurrent.TimeoutException
        || failure.getCause() instanceof java.util.concurrent.TimeoutException;
  }

  /** A 5xx from the service: counts against its breaker, then is passed through (or retried, for a GET). */
  private static final class ServerError extends RuntimeException {
    final Answer answer;

    ServerError(Answer answer) {
      super("answered " + answer.status(), null, false, false);
      this.answer = answer;
    }
  }

  /** No connection could be made: the request never left, so any method may be tried elsewhere. */
  private static final class NotConnected extends RuntimeException {
    NotConnected(Throwable cause) {
      super("cannot connect: " + cause.getMessage(), cause, false, false);
    }
  }

  /** No (other) instance to try; the cause is the last attempt's failure, if there was one. */
  private static final class NoInstance extends RuntimeException {
    NoInstance(Throwable lastFailure) {
      super("no instance available", lastFailure, false, false);
    }
  }
}
