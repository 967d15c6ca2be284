package io.github.vertxsaga.events;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonObject;

/** Carries an {@link EventBatch} over the clustered event bus as its JSON. */
public final class EventBatchCodec implements MessageCodec<EventBatch, EventBatch> {

  public static final String NAME = "cloudevent-batch-json";

  /** Registers the codec as the default for batches; every service calls this once at start-up. */
  public static void register(EventBus eventBus) {
    eventBus.registerDefaultCodec(EventBatch.class, new EventBatchCodec());
  }

  @Override
  public void encodeToWire(Buffer buffer, EventBatch batch) {
    Buffer json = batch.toJson().toBuffer();
    buffer.appendInt(json.length()).appendBuffer(json);
  }

  @Override
  public EventBatch decodeFromWire(int pos, Buffer buffer) {
    int length = buffer.getInt(pos);
    return EventBatch.fromJson(new JsonObject(buffer.getBuffer(pos + 4, pos + 4 + length)));
  }

  @Override
  public EventBatch transform(EventBatch batch) {
    return batch; // immutable: safe to share locally
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
