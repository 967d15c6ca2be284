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
import io.opentelemetry.context.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.tracing.TracingPolicy;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.SQLException;
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
    return inTransaction(List.of(Span.current()), (connection, sinks) -> work.apply(connection, sinks.get(0)));
  }

  /**
   * Runs several units of work in one transaction (a consumer's batch of events): unit {@code i} emits through
   * {@code sinks.get(i)}, in a span of its own that is a child of {@code parents.get(i)}, so each unit's events carry
   * its own trace. Committed or rolled back together.
   */
  public <T> Future<T> inTransaction(List<Span> parents, BatchWork<T> work) {
    List<Unit> units = new ArrayList<>(parents.size());
    for (Span parent : parents) {
      Span span = tracer.spanBuilder("outbox write").setParent(Context.root().with(parent))
          .setAttribute(OutboxSpans.SERVICE, serviceName).startSpan();
      units.add(new Unit(span, W3cTraceContext.of(span), new ArrayList<>(2)));
    }
    return database.inTransaction(connection -> {
      long now = System.currentTimeMillis();
      List<OutboxStore.Pending> rows = new ArrayList<>();
      List<EventSink> sinks = new ArrayList<>(units.size());
      for (Unit unit : units) {
        sinks.add((payload, sequence) -> {
          EventEnvelope envelope = EventEnvelope.wrap(payload, sequence, Instant.ofEpochMilli(now))
              .withTraceContext(unit.trace.traceparent(), unit.trace.tracestate());
          for (String destination : payload.type().destinations()) {
            rows.add(new OutboxStore.Pending(envelope, destination));
          }
          unit.emitted.add(envelope);
          return envelope;
        });
      }
      T result = work.apply(connection, sinks);
      // Written once the work is done, all in one statement: nothing in a transaction reads its own outbox rows.
      OutboxStore.insert(connection, rows, now);
      return result;
    }).onComplete(ar -> {
      boolean needsDelivery = false;
      for (Unit unit : units) {
        if (ar.succeeded()) {
          unit.span.setAttribute(OutboxSpans.EVENTS, (long) unit.emitted.size());
          needsDelivery |= OutboxSpans.returning(unit.span, () -> afterCommit(unit.emitted));
        } else {
          unit.span.recordException(ar.cause());
          unit.span.setStatus(StatusCode.ERROR, "rolled back");
        }
        unit.span.end();
      }
      if (needsDelivery) {
        wakeRelay(); // once for the whole transaction
      }
    });
  }

  /** The work of {@link #inTransaction(List, BatchWork)}: one sink per unit, in the order of the parents. */
  @FunctionalInterface
  public interface BatchWork<T> {
    T apply(Connection connection, List<EventSink> sinks) throws SQLException;
  }

  private record Unit(Span span, W3cTraceContext trace, List<EventEnvelope> emitted) {
  }

  /** Logs what was published; true when some of it needs the relay. */
  private boolean afterCommit(List<EventEnvelope> emitted) {
    boolean needsDelivery = false;
    for (EventEnvelope envelope : emitted) {
      List<String> destinations = envelope.eventType().map(t -> t.destinations()).orElse(List.of());
      log.info("published {} to={}", envelope.logLine(), destinations.isEmpty() ? "none" : String.join(",", destinations));
      needsDelivery |= !destinations.isEmpty();
    }
    return needsDelivery;
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
