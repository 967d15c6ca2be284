package io.github.vertxsaga.events;

import io.vertx.core.eventbus.EventBus;

/** Carries an {@link EventEnvelope} over the clustered event bus as its CloudEvents JSON. */
public final class EventEnvelopeCodec extends JsonCodec<EventEnvelope> {

  public static final String NAME = "cloudevent-json";

  public EventEnvelopeCodec() {
    super(NAME, EventEnvelope::toJson, EventEnvelope::fromJson);
  }

  /** Registers the codec as the default for envelopes; every service calls this once at start-up. */
  public static void register(EventBus eventBus) {
    eventBus.registerDefaultCodec(EventEnvelope.class, new EventEnvelopeCodec());
  }
}
