package io.github.vertxsaga.systemtests;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import io.github.vertxsaga.platform.testing.TestCertificates;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * How every test talks HTTP to the system, in this JVM or in processes: a plain blocking HTTP/1.1 client, safe to use
 * from many test threads. A request names who sends it first: {@link #as(User)} a test account,
 * {@link #bearer(String)} a token of the test's own (issued, forged, from another provider), or {@link #anonymous()};
 * then what: {@code Http.as(User.ALICE).post(uri, order)}. The answer is read whole, whatever its status.
 *
 * <p>Requests a well-behaved client cannot send (bad bytes, broken framing) are a job for the raw-socket
 * {@code scenarios.RawHttp}, not for this class.
 */
public final class Http {
  /** Longer than the gateways' time-out in the scenarios, so that the client sees the gateway's answer. */
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
  /**
   * The gateway speaks plain HTTP; a service's API port wants a client certificate of the deployment's CA, so the
   * client shows the tests' operator certificate (and trusts the CA) to whichever asks.
   */
  private static final HttpClient CLIENT = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .sslContext(TestCertificates.sslContext("operator"))
      .connectTimeout(Duration.ofSeconds(10)) // a TLS handshake with a cold JVM on a loaded machine
      .build();

  private Http() {
  }

  /** Requests with the bearer token of a test account. */
  public static Caller as(User user) {
    return bearer(user.token());
  }

  /** Requests with this bearer token; {@code null} sends none. */
  public static Caller bearer(String token) {
    Map<String, String> headers = new LinkedHashMap<>();
    if (token != null) {
      headers.put("Authorization", "Bearer " + token);
    }
    return new Caller(headers, REQUEST_TIMEOUT);
  }

  /** Requests without a token ({@code /health}, {@code /ready}, the token endpoint, refused calls). */
  public static Caller anonymous() {
    return bearer(null);
  }

  /** One complete answer. */
  public record Reply(int status, String body, HttpHeaders headers) {
    public JsonObject json() {
      return new JsonObject(body);
    }

    public String header(String name) {
      return headers.firstValue(name).orElse(null);
    }

    public String contentType() {
      return header("Content-Type");
    }

    /** The instance that answered, {@code <service>/<instance id>}; none when the gateway answered itself. */
    public String servedBy() {
      return header("X-Served-By");
    }

    @Override
    public String toString() {
      return status + " " + contentType() + " served-by=" + servedBy() + " " + body;
    }
  }

  /** Who sends, with which headers and time-out; immutable, so a test may keep one and share it between threads. */
  public static final class Caller {
    private final Map<String, String> headers;
    private final Duration timeout;

    private Caller(Map<String, String> headers, Duration timeout) {
      this.headers = Map.copyOf(headers);
      this.timeout = timeout;
    }

    /** The same caller, adding a header to every request ({@code Idempotency-Key}, ...). */
    public Caller header(String name, String value) {
      Map<String, String> more = new LinkedHashMap<>(headers);
      more.put(name, value);
      return new Caller(more, timeout);
    }

    /** The same caller, failing when no complete answer came within {@code limit}. */
    public Caller timeout(Duration limit) {
      return new Caller(headers, limit);
    }

    public Reply get(URI uri) {
      return send("GET", uri, null, null);
    }

    /** A POST without a body (as a cancel or a requeue is sent). */
    public Reply post(URI uri) {
      return send("POST", uri, null, null);
    }

    public Reply post(URI uri, JsonObject body) {
      return post(uri, body.encode());
    }

    /** A POST of JSON text sent as it is, malformed or not. */
    public Reply post(URI uri, String json) {
      return send("POST", uri, "application/json", json);
    }

    /** A POST of any body, with {@code contentType} (null: no Content-Type header). */
    public Reply post(URI uri, String contentType, String body) {
      return send("POST", uri, contentType, body);
    }

    /** As {@link #post(URI, JsonObject)}, without waiting: for requests that must race one another. */
    public CompletableFuture<Reply> postAsync(URI uri, JsonObject body) {
      HttpRequest request = request("POST", uri, "application/json", body.encode());
      return CLIENT.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenApply(Http::reply);
    }

    public Reply send(String method, URI uri, String contentType, String body) {
      HttpRequest request = request(method, uri, contentType, body);
      try {
        return reply(CLIENT.send(request, HttpResponse.BodyHandlers.ofString()));
      } catch (IOException e) {
        throw new UncheckedIOException(method + " " + uri + ": " + e, e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }

    private HttpRequest request(String method, URI uri, String contentType, String body) {
      HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(timeout).method(method,
          body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
      if (contentType != null) {
        request.header("Content-Type", contentType);
      }
      headers.forEach(request::header);
      return request.build();
    }
  }

  private static Reply reply(HttpResponse<String> response) {
    return new Reply(response.statusCode(), response.body(), response.headers());
  }
}
