package io.github.vertxsaga.events;

import io.vertx.core.eventbus.EventBus;

/** Carries an {@link EventBatch} over the clustered event bus as its JSON. */
public final class EventBatchCodec extends JsonCodec<EventBatch> {

  public static final String NAME = "cloudevent-batch-json";

  public EventBatchCodec() {
    super(NAME, EventBatch::toJson, EventBatch::fromJson);
  }

  /** Registers the codec as the default for batches; every service calls this once at start-up. */
  public static void register(EventBus eventBus) {
    eventBus.registerDefaultCodec(EventBatch.class, new EventBatchCodec());
  }
}
