package io.github.vertxsaga.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * What the gateway passes on, over real HTTP: a server that answers with the headers {@code forwardedHeaders} would
 * send to a service, and one that relays an answer as {@code relay} would to the client.
 */
@DisplayName("The headers the gateway forwards and relays")
class ProxyHeadersTest {
  private static Vertx vertx;
  private static HttpServer server;
  private static HttpClient client;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    Router router = Router.router(vertx);
    router.get("/forwarded").handler(ctx -> {
      JsonObject seen = new JsonObject();
      ProxyHandler.forwardedHeaders(ctx.request())
          .forEach(header -> seen.put(header.getKey().toLowerCase(), seen.getJsonArray(header.getKey().toLowerCase(),
              new JsonArray()).add(header.getValue())));
      ctx.json(seen);
    });
    router.get("/relayed").handler(ctx -> {
      ctx.response().putHeader("X-Request-Id", "the-gateway-s-own");
      MultiMap answer = MultiMap.caseInsensitiveMultiMap()
          .add("Content-Type", "application/json")
          .add("set-cookie", "a=1").add("Set-Cookie", "b=2")
          .add("X-Served-By", "inventory-service-1")
          .add("x-request-id", "the-service-s")
          .add("Connection", "keep-alive, X-Secret").add("Keep-Alive", "timeout=5")
          .add("Transfer-Encoding", "chunked").add("TRAILER", "Expires").add("Content-Length", "999")
          .add("Upgrade", "h2c").add("Proxy-Authenticate", "Basic");
      ProxyHandler.relay(ctx, new ProxyHandler.Answer(201, answer, Buffer.buffer("{\"sku\":\"A\"}")));
    });
    server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").await(30, TimeUnit.SECONDS);
    client = vertx.createHttpClient();
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("end-to-end headers go on, in any case and repeated; hop-by-hop ones, Host and the trace context do not")
  void forwarded() throws Exception {
    MultiMap sent = MultiMap.caseInsensitiveMultiMap()
        .add("Authorization", "Bearer t").add("accept", "application/json").add("X-Custom", "1").add("x-custom", "2")
        .add("X-Forwarded-For", "10.0.0.1").add("Idempotency-Key", "k-1")
        .add("CONNECTION", "keep-alive").add("Keep-Alive", "timeout=5").add("Proxy-Authorization", "Basic x")
        .add("Proxy-Connection", "keep-alive").add("TE", "trailers")
        .add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01").add("TraceState", "a=b");
    JsonObject seen = get("/forwarded", sent).body().toJsonObject();
    assertThat(seen.getJsonArray("authorization")).containsExactly("Bearer t");
    assertThat(seen.getJsonArray("accept")).containsExactly("application/json");
    assertThat(seen.getJsonArray("x-custom")).containsExactly("1", "2");
    assertThat(seen.getJsonArray("idempotency-key")).containsExactly("k-1");
    assertThat(seen.getJsonArray("x-forwarded-for")).containsExactly("10.0.0.1, 127.0.0.1");
    assertThat(seen.getJsonArray("x-forwarded-proto")).containsExactly("http");
    // (An Upgrade header is not sent: the test's own server would take it for an HTTP/2 upgrade.)
    for (String dropped : List.of("connection", "keep-alive", "proxy-authorization", "proxy-connection", "te", "host", "content-length", "traceparent", "tracestate")) {
      assertThat(seen.containsKey(dropped)).as(dropped).isFalse();
    }
  }

  @Test
  @DisplayName("a service's answer reaches the client with its status, body and end-to-end headers, not its hop-by-hop ones")
  void relayed() throws Exception {
    Exchange exchange = get("/relayed", MultiMap.caseInsensitiveMultiMap());
    HttpClientResponse response = exchange.response();
    Buffer body = exchange.body();
    assertThat(response.statusCode()).isEqualTo(201);
    assertThat(body.toString()).isEqualTo("{\"sku\":\"A\"}");
    assertThat(response.getHeader("Content-Type")).isEqualTo("application/json");
    assertThat(response.headers().getAll("Set-Cookie")).containsExactly("a=1", "b=2");
    assertThat(response.getHeader("X-Served-By")).isEqualTo("inventory-service-1");
    assertThat(response.headers().getAll("X-Request-Id")).containsExactly("the-gateway-s-own");
    assertThat(response.getHeader("Content-Length")).isEqualTo(String.valueOf(body.length()));
    for (String dropped : List.of("Keep-Alive", "Transfer-Encoding", "Trailer", "Upgrade", "Proxy-Authenticate")) {
      assertThat(response.headers().contains(dropped)).as(dropped).isFalse();
    }
    assertThat(response.headers().getAll("Connection")).noneMatch(value -> value.contains("X-Secret"));
  }

  private record Exchange(HttpClientResponse response, Buffer body) {
  }

  /** The answer and its whole body, read as it arrives (a body asked for later may have gone by). */
  private static Exchange get(String path, MultiMap headers) throws Exception {
    return client.request(new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1")
            .setPort(server.actualPort()).setURI(path).setHeaders(headers))
        .compose(request -> request.send())
        .compose(response -> response.body().map(body -> new Exchange(response, body)))
        .await(30, TimeUnit.SECONDS);
  }
}
