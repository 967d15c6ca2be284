package io.github.vertxsaga.platform.outbox;

import io.github.vertxsaga.events.Addresses;
import io.github.vertxsaga.events.EventEnvelope;
import io.github.vertxsaga.platform.db.Database;
import io.github.vertxsaga.platform.tracing.NodeTracing;
import io.github.vertxsaga.platform.tracing.W3cTraceContext;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.tracing.TracingPolicy;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a state change and the outbox rows of its events in one local transaction. Only after the commit are the
 * events logged as published and the relay woken, so nothing is announced that could still roll back.
 *
 * <p>The transaction is a span, a child of the span current when it is asked for (the HTTP request's, or the
 * consumed event's): its context goes into the outbox rows with the events, which is how the trace crosses the
 * outbox to the relay.
 */
public final class TransactionalOutbox {
  private static final Logger log = LoggerFactory.getLogger("events");
  /** The wake-up is no part of any order's trace: without this, each would be a span of the request that sent it. */
  private static final DeliveryOptions UNTRACED = new DeliveryOptions().setTracingPolicy(TracingPolicy.IGNORE);

  private final Vertx vertx;
  private final Database database;
  private final String serviceName;
  private final Tracer tracer;

  public TransactionalOutbox(Vertx vertx, Database database, String serviceName, Tracer tracer) {
    this.vertx = vertx;
    this.database = database;
    this.serviceName = serviceName;
    this.tracer = tracer;
  }

  /** An outbox whose transactions make no spans (the outbox's own tests). */
  public TransactionalOutbox(Vertx vertx, Database database, String serviceName) {
    this(vertx, database, serviceName, OpenTelemetry.noop().getTracer(NodeTracing.SCOPE));
  }

  /** Runs {@code work} in one transaction, in a span that is a child of the current one. */
  public <T> Future<T> inTransaction(OutboxWork<T> work) {
    Span span = tracer.spanBuilder("outbox write").setAttribute(OutboxSpans.SERVICE, serviceName).startSpan();
    W3cTraceContext trace = W3cTraceContext.of(span);
    List<EventEnvelope> emitted = new ArrayList<>(2);
    return database.inTransaction(connection -> {
      long now = System.currentTimeMillis();
      return work.apply(connection, (payload, sequence) -> {
        EventEnvelope envelope = EventEnvelope.wrap(payload, sequence, Instant.ofEpochMilli(now))
            .withTraceContext(trace.traceparent(), trace.tracestate());
        for (String destination : payload.type().destinations()) {
          OutboxStore.insert(connection, envelope, destination, now);
        }
        emitted.add(envelope);
        return envelope;
      });
    }).onComplete(ar -> {
      if (ar.succeeded()) {
        span.setAttribute(OutboxSpans.EVENTS, (long) emitted.size());
        OutboxSpans.within(span, () -> afterCommit(emitted));
      } else {
        span.recordException(ar.cause());
        span.setStatus(StatusCode.ERROR, "rolled back");
      }
      span.end();
    });
  }

  private void afterCommit(List<EventEnvelope> emitted) {
    boolean needsDelivery = false;
    for (EventEnvelope envelope : emitted) {
      List<String> destinations = envelope.eventType().map(t -> t.destinations()).orElse(List.of());
      log.info("published {} to={}", envelope.logLine(), destinations.isEmpty() ? "none" : String.join(",", destinations));
      needsDelivery |= !destinations.isEmpty();
    }
    if (needsDelivery) {
      wakeRelay();
    }
  }

  /** Tells this service's active relay, wherever it runs in the cluster, that rows are waiting. */
  public void wakeRelay() {
    vertx.eventBus().publish(Addresses.outboxWakeup(serviceName), null, UNTRACED);
  }

  /** The tracer its transactions make spans with; the relay and the consumer of the same node use it too. */
  public Tracer tracer() {
    return tracer;
  }

  public Database database() {
    return database;
  }

  public String serviceName() {
    return serviceName;
  }

  public Future<JsonArray> deadLetters(int limit) {
    return database.read(c -> OutboxStore.deadLetters(c, limit));
  }

  public Future<Boolean> requeue(long id) {
    return database.inTransaction(c -> OutboxStore.requeue(c, id, System.currentTimeMillis()))
        .onSuccess(found -> {
          if (found) {
            log.info("requeued dead-lettered outbox row id={}", id);
            wakeRelay();
          }
        });
  }

  public Future<JsonObject> backlog() {
    return database.read(OutboxStore::backlog);
  }
}
