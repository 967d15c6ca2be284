package io.github.vertxsaga.events;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonObject;

/** Carries an {@link EventEnvelope} over the clustered event bus as its CloudEvents JSON. */
public final class EventEnvelopeCodec implements MessageCodec<EventEnvelope, EventEnvelope> {

  public static final String NAME = "cloudevent-json";

  /** Registers the codec as the default for envelopes; every service calls this once at start-up. */
  public static void register(EventBus eventBus) {
    eventBus.registerDefaultCodec(EventEnvelope.class, new EventEnvelopeCodec());
  }

  @Override
  public void encodeToWire(Buffer buffer, EventEnvelope envelope) {
    Buffer json = envelope.toJson().toBuffer();
    buffer.appendInt(json.length()).appendBuffer(json);
  }

  @Override
  public EventEnvelope decodeFromWire(int pos, Buffer buffer) {
    int length = buffer.getInt(pos);
    return EventEnvelope.fromJson(new JsonObject(buffer.getBuffer(pos + 4, pos + 4 + length)));
  }

  @Override
  public EventEnvelope transform(EventEnvelope envelope) {
    return envelope; // immutable record: safe to share locally
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
