package io.github.vertxsaga.platform.http;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** RFC 9457 problem details: the one shape of every HTTP error in the project. */
public final class Problems {
  public static final String CONTENT_TYPE = "application/problem+json";
  public static final String REQUEST_ID = "X-Request-Id";
  private static final Logger log = LoggerFactory.getLogger(Problems.class);
  /**
   * PostgreSQL's admin shutdown, crash shutdown and cannot connect now; H2's broken connection to its server, and its
   * database closed (the server stopping, or this JVM shutting down).
   */
  private static final java.util.Set<String> SERVER_GOING_AWAY =
      java.util.Set.of("57P01", "57P02", "57P03", "90067", "90121");
  /**
   * A transaction ended because of concurrent ones: serialization failure or deadlock victim (40001, which H2 also
   * gives its deadlocks; 40P01 PostgreSQL's deadlock), a lock not granted in time (55P03 PostgreSQL, HYT00 H2).
   */
  private static final java.util.Set<String> CONFLICT = java.util.Set.of("40001", "40P01", "55P03", "HYT00");

  private Problems() {
  }

  public static JsonObject body(int status, String detail) {
    String title = HttpResponseStatus.valueOf(status).reasonPhrase();
    return new JsonObject()
        .put("type", "https://httpstatuses.io/" + status)
        .put("title", title)
        .put("status", status)
        .put("detail", detail);
  }

  public static void send(HttpServerResponse response, int status, String detail) {
    if (response.headWritten()) {
      response.reset();
      return;
    }
    response.setStatusCode(status)
        .putHeader("Content-Type", CONTENT_TYPE)
        .end(body(status, detail).encode());
  }

  /** The router's failure handler: maps what a handler threw or failed with to a problem body. */
  public static void handleFailure(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    int status;
    String detail;
    if (failure instanceof ApiException api) {
      status = api.status();
      detail = api.getMessage();
    } else if (failure instanceof DecodeException) {
      status = 400;
      detail = "the request body is not valid JSON";
    } else if (failure instanceof HttpException http) {
      status = http.getStatusCode();
      detail = http.getPayload() != null ? http.getPayload() : defaultDetail(status);
    } else if (failure == null) {
      status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
      detail = defaultDetail(status);
    } else if (isDatabaseUnavailable(failure)) {
      status = 503;
      detail = "the database is unavailable; retry shortly";
      log.warn("request {} {} failed: database unavailable: {}", ctx.request().method(), ctx.request().path(),
          failure.toString());
    } else if (isTransactionConflict(failure)) {
      status = 503;
      detail = "the request met a concurrent update of the same data and was rolled back; retry it";
      log.warn("request {} {} failed: transaction conflict: {}", ctx.request().method(), ctx.request().path(),
          failure.toString());
    } else {
      status = 500;
      detail = "internal error; see the service log for request id " + ctx.request().getHeader(REQUEST_ID);
      log.error("request {} {} failed", ctx.request().method(), ctx.request().path(), failure);
    }
    send(ctx.response(), status, detail);
  }

  private static String defaultDetail(int status) {
    return switch (status) {
      case 404 -> "no such resource";
      case 405 -> "method not allowed on this resource";
      case 413 -> "the request body is too large";
      case 415 -> "the request body must be application/json";
      default -> HttpResponseStatus.valueOf(status).reasonPhrase();
    };
  }

  /**
   * Connection failures (SQL state class 08), a server shutting down, restarting or not yet accepting connections
   * (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now), a broken connection to an H2 server
   * or its database closed (90067, 90121) and pool time-outs mean "try again", not "bug": a request gets 503, an
   * event is answered {@code unavailable} and sent again.
   */
  public static boolean isDatabaseUnavailable(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof SQLTransientConnectionException) {
        return true;
      }
      if (t instanceof SQLException sql && sql.getSQLState() != null
          && (sql.getSQLState().startsWith("08") || SERVER_GOING_AWAY.contains(sql.getSQLState()))) {
        return true;
      }
    }
    return false;
  }

  /**
   * The transaction lost to a concurrent one (a deadlock victim, a serialization failure, a lock wait timed out): no
   * fault of what it was doing, and the same work succeeds when tried again.
   */
  public static boolean isTransactionConflict(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql && sql.getSQLState() != null && CONFLICT.contains(sql.getSQLState())) {
        return true;
      }
    }
    return false;
  }
}
