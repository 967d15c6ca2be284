package io.github.vertxsaga.events;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * The one envelope of every event: CloudEvents 1.0 in its JSON format, plus the extension attributes
 * {@code sequence} (per-aggregate, increasing) and, from the CloudEvents distributed-tracing extension,
 * {@code traceparent} and {@code tracestate} (W3C Trace Context). On the wire {@code traceparent} names the span that
 * delivered the event, so the consumer's span is its child; its trace id is the order's trace from the request that
 * started it, whichever hop the event is at ({@link #traceId()}).
 *
 * <p>Unknown attributes and unknown {@code data} fields are ignored on read, so events can grow.
 */
public record EventEnvelope(
    String id,
    String source,
    String type,
    String subject,
    Instant time,
    String traceparent,
    String tracestate,
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

  /**
   * Wraps a payload in a new envelope: fresh id, the emitting service as source, the aggregate (order) id as subject,
   * no trace context yet.
   */
  public static EventEnvelope wrap(EventPayload payload, long sequence, Instant time) {
    EventType type = payload.type();
    return new EventEnvelope(UUID.randomUUID().toString(), "/" + type.emitter(), type.wireName(),
        payload.aggregateId(), time, null, null, sequence, payload.toJson());
  }

  /** The same event in the trace context of another span ({@code traceparent} null: none). */
  public EventEnvelope withTraceContext(String traceparent, String tracestate) {
    return new EventEnvelope(id, source, type, subject, time, traceparent, tracestate, sequence, data);
  }

  /**
   * The W3C trace id (32 hex digits) of the trace this event belongs to, the same for every event of one order's
   * saga; null without a well-formed {@code traceparent}.
   */
  public String traceId() {
    if (traceparent == null || traceparent.length() < 55 || traceparent.charAt(2) != '-'
        || traceparent.charAt(35) != '-') {
      return null;
    }
    return traceparent.substring(3, 35);
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
    if (traceparent != null) {
      json.put("traceparent", traceparent);
      if (tracestate != null && !tracestate.isEmpty()) {
        json.put("tracestate", tracestate);
      }
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
          json.getString("traceparent"),
          json.getString("tracestate"),
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

  /**
   * The log fragment every service uses, so {@code grep <order id>} follows an order across logs; the line's
   * {@code trace_id} and {@code span_id} come from the span current where it is logged.
   */
  public String logLine() {
    return "event=" + type + " id=" + id + " order=" + subject + " seq=" + sequence;
  }

  private static String required(JsonObject json, String name) {
    String value = json.getString(name);
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("missing '" + name + "'");
    }
    return value;
  }
}
