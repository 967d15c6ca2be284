package io.github.vertxsaga.platform.outbox;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.micrometer.backends.BackendRegistries;
import java.util.concurrent.atomic.AtomicLong;

/** The outbox as an operator sees it in /metrics: backlog, age of the oldest waiting event, delivered, parked. */
public final class OutboxMetrics {
  private final Counter delivered;
  private final Counter deadLettered;
  private final AtomicLong backlog = new AtomicLong();
  private final AtomicLong oldestAgeMs = new AtomicLong();
  private final AtomicLong parked = new AtomicLong();

  public OutboxMetrics(String service) {
    MeterRegistry registry = registry();
    delivered = Counter.builder("outbox_events_delivered").tag("service", service)
        .description("Events acknowledged by their consumer").register(registry);
    deadLettered = Counter.builder("outbox_events_dead_lettered").tag("service", service)
        .description("Events parked after too many consumer failures").register(registry);
    Gauge.builder("outbox_backlog", backlog, AtomicLong::get).tag("service", service)
        .description("Undelivered outbox rows, parked ones included").register(registry);
    Gauge.builder("outbox_dead_letters", parked, AtomicLong::get).tag("service", service)
        .description("Parked (dead-lettered) outbox rows").register(registry);
    Gauge.builder("outbox_oldest_undelivered_age_seconds", oldestAgeMs, ms -> ms.get() / 1000.0).tag("service", service)
        .description("Age of the oldest undelivered event").register(registry);
  }

  static MeterRegistry registry() {
    MeterRegistry registry = BackendRegistries.getDefaultNow();
    return registry != null ? registry : new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
  }

  void delivered(int count) {
    delivered.increment(count);
  }

  void deadLettered() {
    deadLettered.increment();
  }

  void backlog(io.vertx.core.json.JsonObject snapshot) {
    backlog.set(snapshot.getLong("undelivered"));
    parked.set(snapshot.getLong("deadLettered"));
    oldestAgeMs.set(snapshot.getLong("oldestUndeliveredAgeMs"));
  }
}
