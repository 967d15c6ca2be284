package io.github.vertxsaga.systemtests.process;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A plain blocking HTTP/1.1 client for talking to the processes from test threads (it is thread-safe). Calls to
 * {@code /api/**} need a {@link User}; {@code /health}, {@code /ready} and the like are sent without a token.
 */
public final class Http {
  /** Longer than the gateways' time-out in the scenarios, so that the client sees the gateway's answer. */
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
  private static final HttpClient CLIENT = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2))
      .build();

  private Http() {
  }

  /** One complete answer. */
  public record Reply(int status, String contentType, String servedBy, String body, HttpHeaders headers) {
    public JsonObject json() {
      return new JsonObject(body);
    }

    public String header(String name) {
      return headers.firstValue(name).orElse(null);
    }

    @Override
    public String toString() {
      return status + " " + contentType + " served-by=" + servedBy + " " + body;
    }
  }

  /** A GET without a token. */
  public static Reply get(URI uri) {
    return send(HttpRequest.newBuilder(uri).GET());
  }

  public static Reply get(URI uri, User user) {
    return send(HttpRequest.newBuilder(uri).GET().header("Authorization", user.authorization()));
  }

  /** A POST of a JSON body without a token. */
  public static Reply post(URI uri, JsonObject body) {
    return send(json(uri, body));
  }

  public static Reply post(URI uri, JsonObject body, User user) {
    return send(json(uri, body).header("Authorization", user.authorization()));
  }

  /** A POST without a body (as a cancel is sent). */
  public static Reply post(URI uri, User user) {
    return send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.noBody())
        .header("Authorization", user.authorization()));
  }

  /** Sends a request built by the caller (any method, headers and body the JDK client allows). */
  public static Reply send(HttpRequest.Builder request) {
    return send(request, REQUEST_TIMEOUT);
  }

  /** As {@link #send(HttpRequest.Builder)}, failing when no complete answer came within {@code timeout}. */
  public static Reply send(HttpRequest.Builder request, Duration timeout) {
    try {
      HttpResponse<String> response = CLIENT.send(request.timeout(timeout).build(),
          HttpResponse.BodyHandlers.ofString());
      HttpHeaders headers = response.headers();
      return new Reply(response.statusCode(), headers.firstValue("Content-Type").orElse(null),
          headers.firstValue("X-Served-By").orElse(null), response.body(), headers);
    } catch (IOException e) {
      throw new UncheckedIOException(request.build().method() + " " + request.build().uri() + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static HttpRequest.Builder json(URI uri, JsonObject body) {
    return HttpRequest.newBuilder(uri)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode()));
  }
}
