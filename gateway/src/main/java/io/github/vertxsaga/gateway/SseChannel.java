package io.github.vertxsaga.gateway;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/**
 * One browser's Server-Sent Events connection, bounded: what the socket has not taken yet stays in the response's
 * write queue, which holds at most {@link #QUEUE_BYTES}. Past that an event is dropped, not queued, and counted; once
 * the browser has caught up (the drain handler) it is told how many it missed, so a slow or stalled browser costs the
 * gateway a fixed amount of memory and never looks complete when it is not.
 */
final class SseChannel {
  static final int QUEUE_BYTES = 256 * 1024;

  private final HttpServerResponse response;
  private final MultiMap credentials;
  private long dropped;
  private boolean closed;

  /** @param credentials the headers that authenticated this stream, used for what the gateway asks on its behalf */
  SseChannel(HttpServerResponse response, MultiMap credentials) {
    this.response = response;
    this.credentials = credentials;
    response.setChunked(true)
        .putHeader("Content-Type", "text/event-stream; charset=utf-8")
        .putHeader("Cache-Control", "no-store")
        .putHeader("X-Accel-Buffering", "no") // a buffering proxy in front would hold the stream back
        .setWriteQueueMaxSize(QUEUE_BYTES)
        .drainHandler(v -> caughtUp());
    response.closeHandler(v -> closed = true);
    response.exceptionHandler(e -> closed = true);
  }

  MultiMap credentials() {
    return credentials;
  }

  boolean open() {
    return !closed && !response.closed();
  }

  /** Writes one event, or drops it while the browser is behind. */
  void send(String event, JsonObject data) {
    if (!open()) {
      return;
    }
    if (response.writeQueueFull()) {
      dropped++;
      return;
    }
    response.write("event: " + event + "\ndata: " + data.encode() + "\n\n");
  }

  /** A comment line: keeps proxies from timing the stream out, and finds a browser that went away. */
  void ping() {
    if (open() && !response.writeQueueFull()) {
      response.write(": ping\n\n");
    }
  }

  void close() {
    if (open()) {
      closed = true;
      response.end();
    }
  }

  private void caughtUp() {
    if (dropped > 0 && open()) {
      long missed = dropped;
      dropped = 0;
      response.write("event: dropped\ndata: " + new JsonObject().put("dropped", missed).encode() + "\n\n");
    }
  }
}
