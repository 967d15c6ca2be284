package io.github.vertxsaga.systemtests.process;

import io.github.vertxsaga.systemtests.Http;
import io.github.vertxsaga.systemtests.User;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/**
 * A client of a {@link Topology}, through its gateways only (alternating between them), that writes what it was told
 * into the topology's {@link Ledger}: restocks as the admin, orders and cancels as customers.
 */
public final class Shop {
  /** One line of an order. */
  public record Line(String sku, int quantity) {
    JsonObject toJson() {
      return new JsonObject().put("sku", sku).put("quantity", quantity);
    }
  }

  /** The answer to a request: its status and body, or {@code -1} and no body when the client got no answer. */
  public record Answer(int status, JsonObject body, Ledger.Outcome outcome) {
    public String orderId() {
      return body == null ? null : body.getString("id");
    }
  }

  private final Topology topology;
  private final Ledger ledger;
  private final boolean keyed;

  public Shop(Topology topology) {
    this(topology, false);
  }

  private Shop(Topology topology, boolean keyed) {
    this.topology = topology;
    this.ledger = topology.ledger();
    this.keyed = keyed;
  }

  /**
   * A shop whose every order and cancel carries an {@code Idempotency-Key} of its own, as a client that means to
   * retry sends them: the gateway may then re-send one whose connection broke to another instance.
   */
  public static Shop withIdempotencyKeys(Topology topology) {
    return new Shop(topology, true);
  }

  public static Line line(String sku, int quantity) {
    return new Line(sku, quantity);
  }

  /** Adds stock as the admin; fails the test unless it is a 200. */
  public void restock(String sku, int quantity) {
    Answer answer = send("restock " + sku + " +" + quantity, topology.gateway(), "POST",
        "/api/inventory/" + sku + "/restock", new JsonObject().put("quantity", quantity), User.ADMIN);
    if (answer.status() != 200) {
      throw new AssertionError("restock of " + sku + " answered " + answer.outcome());
    }
    ledger.restocked(sku, quantity);
  }

  /** Places an order through the next gateway; a 202 is recorded as accepted. */
  public Answer order(User customer, Line... lines) {
    return order(topology.gateway(), customer, lines);
  }

  public Answer order(ServiceProcess gateway, User customer, Line... lines) {
    JsonArray items = new JsonArray();
    Arrays.stream(lines).forEach(line -> items.add(line.toJson()));
    Answer answer = send("order " + Arrays.toString(lines), gateway, "POST", "/api/orders",
        new JsonObject().put("items", items), customer);
    if (answer.status() == 202) {
      ledger.accepted(answer.orderId(), lines);
    }
    return answer;
  }

  /** Cancels an order; a 202 is recorded. */
  public Answer cancel(User customer, String orderId) {
    Answer answer = send("cancel " + orderId, topology.gateway(), "POST", "/api/orders/" + orderId + "/cancel", null,
        customer);
    if (answer.status() == 202) {
      ledger.cancelled(orderId);
    }
    return answer;
  }

  public Answer get(User user, String path) {
    return get(topology.gateway(), user, path);
  }

  public Answer get(ServiceProcess gateway, User user, String path) {
    return send("GET " + path, gateway, "GET", path, null, user);
  }

  /**
   * Sends through {@code gateway}; when a gateway refuses the connection (it is stopped or restarting), the request
   * never left, so it goes to the next gateway, as a client-side balancer would.
   */
  private Answer send(String what, ServiceProcess gateway, String method, String path, JsonObject body, User user) {
    long start = System.nanoTime();
    List<ServiceProcess> candidates = new ArrayList<>(List.of(gateway));
    topology.gateways().stream().filter(other -> !other.name().equals(gateway.name())).forEach(candidates::add);
    ServiceProcess via = gateway;
    Http.Caller caller = keyed && method.equals("POST") && path.startsWith("/api/orders")
        ? Http.as(user).header("Idempotency-Key", UUID.randomUUID().toString())
        : Http.as(user);
    Http.Reply reply = null;
    RuntimeException failure = null;
    for (ServiceProcess candidate : candidates) {
      via = candidate;
      try {
        reply = exchange(caller, via.uri(path), method, body);
        failure = null;
        break;
      } catch (RuntimeException e) {
        failure = e;
        if (!refused(e)) {
          break;
        }
      }
    }
    if (failure != null) {
      Ledger.Outcome outcome = new Ledger.Outcome(what, via.name(), -1, null, failure.toString(), start,
          System.nanoTime());
      ledger.record(outcome);
      return new Answer(-1, null, outcome);
    }
    JsonObject json = null;
    try {
      json = reply.body() == null || reply.body().isBlank() ? null : reply.json();
    } catch (RuntimeException notJson) {
      // the body is kept as the error below
    }
    String error = reply.status() >= 400 ? reply.body() : null;
    Ledger.Outcome outcome = new Ledger.Outcome(what, via.name(), reply.status(), reply.servedBy(), error, start,
        System.nanoTime());
    ledger.record(outcome);
    return new Answer(reply.status(), json, outcome);
  }

  private static Http.Reply exchange(Http.Caller caller, URI uri, String method, JsonObject body) {
    if (method.equals("GET")) {
      return caller.get(uri);
    }
    return body == null ? caller.post(uri) : caller.post(uri, body);
  }

  /** No connection could be made at all: nothing was sent. */
  private static boolean refused(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.net.ConnectException) {
        return true;
      }
    }
    return false;
  }
}
