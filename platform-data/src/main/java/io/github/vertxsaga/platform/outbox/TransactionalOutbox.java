package io.github.vertxsaga.platform.outbox;

import io.github.vertxsaga.events.Addresses;
import io.github.vertxsaga.events.EventEnvelope;
import io.github.vertxsaga.platform.db.Database;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
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
 */
public final class TransactionalOutbox {
  private static final Logger log = LoggerFactory.getLogger("events");

  private final Vertx vertx;
  private final Database database;
  private final String serviceName;

  public TransactionalOutbox(Vertx vertx, Database database, String serviceName) {
    this.vertx = vertx;
    this.database = database;
    this.serviceName = serviceName;
  }

  public <T> Future<T> inTransaction(String traceId, OutboxWork<T> work) {
    List<EventEnvelope> emitted = new ArrayList<>(2);
    return database.inTransaction(connection -> {
      long now = System.currentTimeMillis();
      return work.apply(connection, (payload, sequence) -> {
        EventEnvelope envelope = EventEnvelope.wrap(payload, traceId, sequence, Instant.ofEpochMilli(now));
        for (String destination : payload.type().destinations()) {
          OutboxStore.insert(connection, envelope, destination, now);
        }
        emitted.add(envelope);
        return envelope;
      });
    }).onSuccess(result -> afterCommit(emitted));
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
    vertx.eventBus().publish(Addresses.outboxWakeup(serviceName), null);
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
