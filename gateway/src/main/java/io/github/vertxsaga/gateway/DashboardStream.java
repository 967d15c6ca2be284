package io.github.vertxsaga.gateway;

import io.github.vertxsaga.events.Addresses;
import io.github.vertxsaga.events.ServiceNames;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The dashboard's one live connection per browser ({@code GET /api/admin/dashboard/stream}, admin only, behind the
 * same bearer check as every {@code /api} route): Server-Sent Events of every event the services observed
 * ({@link Addresses#OBSERVATIONS}), each circuit-breaker transition as it happens, the instances every second, and
 * every two seconds the outbox health and the stock, asked of the services with the browser's own token, so the
 * dashboard sees what its admin may see and nothing more. A new connection first gets the recent events, so a page
 * opened (or reconnected) late still draws the sagas in flight. One per gateway verticle: its connections, timers and
 * consumers all live on that verticle's event loop.
 */
final class DashboardStream {
  /** Where this gateway's circuit breakers publish their transitions, on this JVM only. */
  static final String BREAKERS = "gateway.circuit-breakers";
  private static final int RECENT = 500;
  private static final long INSTANCES_MS = 1_000;
  private static final long HEALTH_MS = 2_000;
  private static final long PING_MS = 15_000;

  private final Vertx vertx;
  private final UpstreamDirectory directory;
  private final ProxyHandler proxy;
  private final AdminRoutes admin;
  private final Set<SseChannel> channels = new LinkedHashSet<>();
  private final ArrayDeque<JsonObject> recent = new ArrayDeque<>();
  private final List<MessageConsumer<JsonObject>> consumers = new ArrayList<>();
  private final List<Long> timers = new ArrayList<>();

  DashboardStream(Vertx vertx, UpstreamDirectory directory, ProxyHandler proxy, AdminRoutes admin) {
    this.vertx = vertx;
    this.directory = directory;
    this.proxy = proxy;
    this.admin = admin;
  }

  Future<Void> start() {
    consumers.add(vertx.eventBus().consumer(Addresses.OBSERVATIONS, message -> observed(message.body())));
    consumers.add(vertx.eventBus().localConsumer(BREAKERS, message -> broadcast("breaker", new JsonObject()
        .put("instance", message.body().getString("name")).put("state", message.body().getString("state")))));
    timers.add(vertx.setPeriodic(INSTANCES_MS, id -> broadcast("instances", instances())));
    timers.add(vertx.setPeriodic(HEALTH_MS, id -> live().forEach(this::health)));
    timers.add(vertx.setPeriodic(PING_MS, id -> live().forEach(SseChannel::ping)));
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList()).mapEmpty();
  }

  /** Ends every stream: the browsers reconnect, to this gateway once it is back or to another. */
  void close() {
    timers.forEach(vertx::cancelTimer);
    consumers.forEach(MessageConsumer::unregister);
    channels.forEach(SseChannel::close);
    channels.clear();
  }

  void open(RoutingContext ctx) {
    MultiMap credentials = MultiMap.caseInsensitiveMultiMap()
        .add("Authorization", ctx.request().getHeader("Authorization"))
        .add("Accept", "application/json");
    SseChannel channel = new SseChannel(ctx.response(), credentials);
    channels.add(channel);
    channel.send("hello", new JsonObject().put("recent", new JsonArray(List.copyOf(recent)))
        .put("instances", instances()).put("queueBytes", SseChannel.QUEUE_BYTES));
    health(channel);
  }

  private void observed(JsonObject note) {
    String instance = directory.instanceOn(note.getString("node"));
    note.put("instance", instance != null ? instance : note.getString("service") + " (node " + note.getString("node") + ")");
    recent.addLast(note);
    if (recent.size() > RECENT) {
      recent.removeFirst();
    }
    broadcast("event", note);
  }

  private JsonObject instances() {
    return new JsonObject().put("instances", directory.describe());
  }

  /** The outbox health and the stock, each sent when it comes; a failure is shown on the page, not hidden. */
  private void health(SseChannel channel) {
    admin.outboxHealth(channel.credentials())
        .onSuccess(services -> channel.send("outbox", new JsonObject().put("services", services)))
        .onFailure(e -> channel.send("notice", new JsonObject().put("message", "outbox health: " + e.getMessage())));
    proxy.exchange(ServiceNames.INVENTORY_SERVICE,
            new ProxyHandler.Outgoing(HttpMethod.GET, "/api/inventory?limit=500", channel.credentials(), null))
        .compose(answer -> {
          if (answer.status() == 401) {
            channel.close(); // the token expired: the page reconnects, is refused, and asks its admin to sign in
          }
          return answer.status() == 200 ? Future.succeededFuture(answer.body().toJsonObject())
              : Future.failedFuture("inventory-service answered " + answer.status());
        })
        .onSuccess(page -> channel.send("stock", new JsonObject().put("items", page.getJsonArray("items"))))
        .onFailure(e -> channel.send("notice", new JsonObject().put("message", "stock: " + e.getMessage())));
  }

  private void broadcast(String event, JsonObject data) {
    live().forEach(channel -> channel.send(event, data));
  }

  /** The open connections; those the browser closed are forgotten here. */
  private List<SseChannel> live() {
    channels.removeIf(channel -> !channel.open());
    return List.copyOf(channels);
  }
}
