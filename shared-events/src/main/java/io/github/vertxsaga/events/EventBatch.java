package io.github.vertxsaga.events;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Several events for one consumer in one event-bus message, in the order they are to be applied (the relay keeps the
 * events of one aggregate in their outbox order), sent to {@link Addresses#batchOf} of the consumer's address. On the
 * wire: {@code {"batchversion": 1, "events": [<CloudEvents JSON of each envelope>]}}.
 *
 * <p>The consumer answers with one {@link EventOutcome} per event, in a {@link #reply} body. A consumer that stops at
 * a failed event leaves the later events of that aggregate {@link EventOutcome#SKIPPED}, so the order per aggregate
 * holds, and goes on with the other aggregates.
 *
 * <p>The version says what a reader may expect; a change that an old reader would misread takes a new address, so a
 * relay that finds no consumer there falls back to what the consumer does understand.
 */
public record EventBatch(List<EventEnvelope> events) {
  public static final int VERSION = 1;

  public EventBatch {
    events = List.copyOf(Objects.requireNonNull(events, "events"));
  }

  public JsonObject toJson() {
    JsonArray list = new JsonArray(new ArrayList<>(events.size()));
    events.forEach(event -> list.add(event.toJson()));
    return new JsonObject().put("batchversion", VERSION).put("events", list);
  }

  /** Reads a batch; fails with {@link IllegalArgumentException} when it is of another version or malformed. */
  public static EventBatch fromJson(JsonObject json) {
    int version = json.getInteger("batchversion", 0);
    if (version != VERSION) {
      throw new IllegalArgumentException("not an event batch of version " + VERSION + ": batchversion " + version);
    }
    JsonArray list = json.getJsonArray("events");
    if (list == null) {
      throw new IllegalArgumentException("not a valid event batch: missing 'events'");
    }
    List<EventEnvelope> events = new ArrayList<>(list.size());
    for (int i = 0; i < list.size(); i++) {
      events.add(EventEnvelope.fromJson(list.getJsonObject(i)));
    }
    return new EventBatch(events);
  }

  /** The consumer's answer to a batch: one outcome per event, in the batch's order. */
  public static JsonObject reply(List<EventOutcome> outcomes) {
    JsonArray list = new JsonArray(new ArrayList<>(outcomes.size()));
    outcomes.forEach(outcome -> list.add(outcome.toJson()));
    return new JsonObject().put("batchversion", VERSION).put("outcomes", list);
  }

  /** The outcomes of an answer, in the batch's order. */
  public static List<EventOutcome> outcomes(JsonObject reply) {
    JsonArray list = reply.getJsonArray("outcomes", new JsonArray());
    List<EventOutcome> outcomes = new ArrayList<>(list.size());
    for (int i = 0; i < list.size(); i++) {
      outcomes.add(EventOutcome.fromJson(list.getJsonObject(i)));
    }
    return outcomes;
  }
}
