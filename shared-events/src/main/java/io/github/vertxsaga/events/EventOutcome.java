package io.github.vertxsaga.events;

import io.vertx.core.json.JsonObject;

/**
 * What a consumer did with one event: {@link #APPLIED}, {@link #DUPLICATE} (applied before, not again),
 * {@link #IGNORED} (a type this version does not know): acknowledged, the relay marks it delivered; {@link #FAILED}
 * (the payload could not be read, or its transaction failed): the relay counts it towards parking it;
 * {@link #SKIPPED} (an earlier event of its aggregate in the same batch failed): neither, it goes again after that one;
 * {@link #UNAVAILABLE} (the consumer's database could not be reached): not counted either, the relay sends it again
 * after its backoff, so an outage of a consumer's database never parks an event however long it lasts.
 *
 * @param id      the event's id
 * @param outcome one of the constants
 * @param error   why it failed, or null
 */
public record EventOutcome(String id, String outcome, String error) {
  public static final String APPLIED = "applied";
  public static final String DUPLICATE = "duplicate";
  public static final String IGNORED = "ignored";
  public static final String FAILED = "failed";
  public static final String SKIPPED = "skipped";
  public static final String UNAVAILABLE = "unavailable";
  /**
   * The failure code a consumer answers a single envelope (not a batch) with when its database could not be reached
   * or its transaction lost to a concurrent one, so that a relay does not count it towards parking the event.
   */
  public static final int UNAVAILABLE_CODE = 503;

  public static EventOutcome of(String id, String outcome) {
    return new EventOutcome(id, outcome, null);
  }

  public static EventOutcome failed(String id, String error) {
    return new EventOutcome(id, FAILED, error);
  }

  public static EventOutcome unavailable(String id, String error) {
    return new EventOutcome(id, UNAVAILABLE, error);
  }

  /** Applied now or before, or ignored: the consumer has it, and it need not be sent again. */
  public boolean acknowledged() {
    return APPLIED.equals(outcome) || DUPLICATE.equals(outcome) || IGNORED.equals(outcome);
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("id", id).put("outcome", outcome);
    return error == null ? json : json.put("error", error);
  }

  public static EventOutcome fromJson(JsonObject json) {
    return new EventOutcome(json.getString("id"), json.getString("outcome", SKIPPED), json.getString("error"));
  }
}
