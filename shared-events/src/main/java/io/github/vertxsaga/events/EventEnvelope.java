package io.github.vertxsaga.events;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * The one envelope of every event: CloudEvents 1.0 in its JSON format, plus two extension attributes,
 * {@code traceid} (the request id that caused the event) and {@code sequence} (per-aggregate, increasing).
 *
 * <p>Unknown attributes and unknown {@code data} fields are ignored on read, so events can grow.
 */
public record EventEnvelope(
    String id,
    String source,
    String type,
    String subject,
    Instant time,
    String traceId,
    long sequence,
    JsonObject data) {

  public static final String SPEC_VERSION = "1.0";
  public static final String CONTENT_TYPE = "application/json";

  public EventEnvelope {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(time, "time");
    data = data == null ? new JsonObject() : data;
  }

  /** Wraps a payload in a new envelope: fresh id, the emitting service as source, the aggregate (order) id as subject. */
  public static EventEnvelope wrap(EventPayload payload, String traceId, long sequence, Instant time) {
    EventType type = payload.type();
    return new EventEnvelope(UUID.randomUUID().toString(), "/" + type.emitter(), type.wireName(),
        payload.aggregateId(), time, traceId, sequence, payload.toJson());
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject()
        .put("specversion", SPEC_VERSION)
        .put("id", id)
        .put("source", source)
        .put("type", type)
        .put("subject", subject)
        .put("time", time.toString())
        .put("datacontenttype", CONTENT_TYPE)
        .put("sequence", sequence);
    if (traceId != null) {
      json.put("traceid", traceId);
    }
    return json.put("data", data);
  }

  /** Reads an envelope; fails with {@link IllegalArgumentException} when a required attribute is missing. */
  public static EventEnvelope fromJson(JsonObject json) {
    try {
      return new EventEnvelope(
          required(json, "id"),
          required(json, "source"),
          required(json, "type"),
          required(json, "subject"),
          Instant.parse(required(json, "time")),
          json.getString("traceid"),
          json.getLong("sequence", 0L),
          json.getJsonObject("data"));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("not a valid event envelope: " + e.getMessage(), e);
    }
  }

  /** The known event type, if this service version knows it. */
  public java.util.Optional<EventType> eventType() {
    return EventType.fromWireName(type);
  }

  /** The log fragment every service uses, so {@code grep <order id>} follows an order across logs. */
  public String logLine() {
    return "event=" + type + " id=" + id + " order=" + subject + " seq=" + sequence
        + (traceId == null ? "" : " trace=" + traceId);
  }

  private static String required(JsonObject json, String name) {
    String value = json.getString(name);
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("missing '" + name + "'");
    }
    return value;
  }
}
