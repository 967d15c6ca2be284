package io.github.vertxsaga.systemtests.process;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/** A plain blocking HTTP/1.1 client for talking to the processes from the test thread. */
public final class Http {
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(20);
  private static final HttpClient CLIENT = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2))
      .build();

  private Http() {
  }

  /** One complete answer. */
  public record Reply(int status, String contentType, String servedBy, String body) {
    public JsonObject json() {
      return new JsonObject(body);
    }

    @Override
    public String toString() {
      return status + " " + contentType + " served-by=" + servedBy + " " + body;
    }
  }

  public static Reply get(URI uri) {
    return send(HttpRequest.newBuilder(uri).GET());
  }

  public static Reply post(URI uri, JsonObject body) {
    return send(HttpRequest.newBuilder(uri)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode())));
  }

  private static Reply send(HttpRequest.Builder request) {
    try {
      HttpResponse<String> response = CLIENT.send(request.timeout(REQUEST_TIMEOUT).build(),
          HttpResponse.BodyHandlers.ofString());
      Optional<String> contentType = response.headers().firstValue("Content-Type");
      Optional<String> servedBy = response.headers().firstValue("X-Served-By");
      return new Reply(response.statusCode(), contentType.orElse(null), servedBy.orElse(null), response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(request.build().method() + " " + request.build().uri() + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
