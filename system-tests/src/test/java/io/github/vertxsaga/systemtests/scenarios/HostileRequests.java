package io.github.vertxsaga.systemtests.scenarios;

import io.github.vertxsaga.systemtests.User;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Generated hostile requests for the gateway, each with what it must get: malformed and truncated JSON, wrong types,
 * huge numbers, deep nesting, oversized bodies, bad UTF-8, odd headers, tampered and expired tokens, path tricks,
 * broken framing, and random corruptions of a valid order. Deterministic for a seed.
 */
final class HostileRequests {
  /** What an answer may be. None may ever be a 5xx. */
  enum Expect {
    /** A 4xx: the request is wrong and must change nothing. */
    REFUSED,
    /** Anything below 500: an odd but harmless read. */
    READ,
    /** A 4xx, or the connection closed without an answer: not even HTTP the server could frame. */
    BROKEN
  }

  record Hostile(String category, RawHttp.Request request, Expect expect) {
  }

  private static final byte[][] BREAKERS = {{'{'}, {'}'}, {'['}, {']'}, {','}, {':'}, {'"'}, {'\\'}, {0x01},
      {(byte) 0xFF}, {(byte) 0xC3}, {(byte) 0xC0, (byte) 0xAF}, {0x00}};

  private final String sku;
  private final String aliceOrder;
  private final List<Hostile> requests = new ArrayList<>();

  private HostileRequests(String sku, String aliceOrder) {
    this.sku = sku;
    this.aliceOrder = aliceOrder;
  }

  /** At least {@code atLeast} requests: every fixed case, then random corruptions of a valid order. */
  static List<Hostile> generate(long seed, int atLeast, String sku, String aliceOrder) {
    HostileRequests generator = new HostileRequests(sku, aliceOrder);
    generator.bodies();
    generator.types();
    generator.sizes();
    generator.encodings();
    generator.tokens();
    generator.paths();
    generator.methods();
    generator.headers();
    generator.framing();
    Random random = new Random(seed);
    while (generator.requests.size() < atLeast) {
      generator.corruption(random);
    }
    return generator.requests;
  }

  private String validOrder() {
    return "{\"items\":[{\"sku\":\"" + sku + "\",\"quantity\":1}]}";
  }

  private void add(String category, RawHttp.Builder request, Expect expect) {
    RawHttp.Request built = request.build();
    // Past the 64 KB body limit the server answers 413 and closes, maybe before it read what we still write.
    boolean oversized = built.body().length > 64 * 1024;
    requests.add(new Hostile(category, built, oversized && expect == Expect.REFUSED ? Expect.BROKEN : expect));
  }

  private RawHttp.Builder order(String name) {
    return RawHttp.Request.of(name, "POST", "/api/orders").bearer(User.ALICE.token());
  }

  private RawHttp.Builder orderWithoutToken(String name) {
    return RawHttp.Request.of(name, "POST", "/api/orders");
  }

  private RawHttp.Builder restock(String name) {
    return RawHttp.Request.of(name, "POST", "/api/inventory/" + sku + "/restock").bearer(User.ADMIN.token());
  }

  /** Malformed and truncated JSON. */
  private void bodies() {
    String valid = validOrder();
    for (int length = 0; length < valid.length(); length++) {
      add("truncated JSON", order("order cut at " + length).json(valid.substring(0, length)), Expect.REFUSED);
    }
    String restockBody = "{\"quantity\":5}";
    for (int length = 0; length < restockBody.length(); length++) {
      add("truncated JSON", restock("restock cut at " + length).json(restockBody.substring(0, length)),
          Expect.REFUSED);
    }
    for (String body : List.of("{", "}", "[", "]", "{}", "[]", "null", "true", "0", "\"items\"", "nul", "NaN",
        "{items:[]}", "{'items':[{'sku':'" + sku + "','quantity':1}]}", "{\"items\":}", "{\"items\":[}",
        "{\"items\":[{\"sku\":\"" + sku + "\",\"quantity\":1},]}", valid + "}", valid + " trailing", valid + valid,
        "\uFEFF" + valid, "{\"items\":[{\"sku\":\"" + sku + "\",\"quantity\":1}],\"items\":[]}",
        "[" + valid + "]", "{\"items\":[{\"sku\":\"" + sku + "\" \"quantity\":1}]}",
        "{\"items\":[{\"sku\":\"" + sku + "\",\"quantity\":01}]}", "{\"items\":[{\"sku\":\"" + sku
            + "\",\"quantity\":+1}]}", "{\"items\":[{\"sku\":\"" + sku + "\",\"quantity\":0x1}]}")) {
      add("malformed JSON", order("order " + body).json(body), Expect.REFUSED);
    }
    for (String body : List.of("", "{", "{\"quantity\":}", "{\"quantity\":5,}", "[5]", "5")) {
      add("malformed JSON", restock("restock " + body).json(body), Expect.REFUSED);
    }
  }

  /** Wrong types, out-of-range and huge numbers, unknown fields. */
  private void types() {
    for (String items : List.of("\"x\"", "1", "{}", "null", "true", "[1]", "[\"a\"]", "[[]]", "[null]", "[{}]")) {
      add("wrong type", order("items " + items).json("{\"items\":" + items + "}"), Expect.REFUSED);
    }
    for (String value : List.of("1", "null", "true", "[]", "{}", "\"\"", "\" \"", "\"a b\"", "\"\u00fc\"",
        "\"../x\"", "\"" + "A".repeat(65) + "\"", "\"A\\u0000\"", "\"A\\n\"", "\"%41\"")) {
      add("wrong type", order("sku " + value).json("{\"items\":[{\"sku\":" + value + ",\"quantity\":1}]}"),
          Expect.REFUSED);
    }
    for (String value : List.of("\"1\"", "1.0", "1.5", "-1", "0", "10001", "true", "null", "[]", "{}", "1e2", "\"1e2\"",
        "2147483648", "-2147483649", "9223372036854775808", "1e400", "-1e400", "99999999999999999999999999999999",
        "1E+2", "-0", "0.0000001")) {
      add("wrong number", order("quantity " + value).json("{\"items\":[{\"sku\":\"" + sku + "\",\"quantity\":" + value
          + "}]}"), Expect.REFUSED);
      if (!value.equals("10001")) { // a fine restock
        add("wrong number", restock("restock " + value).json("{\"quantity\":" + value + "}"), Expect.REFUSED);
      }
    }
    for (String value : List.of("1000000001", "2147483647", "9223372036854775807")) {
      add("wrong number", restock("restock " + value).json("{\"quantity\":" + value + "}"), Expect.REFUSED);
    }
    String line = "{\"sku\":\"" + sku + "\",\"quantity\":1}";
    for (String body : List.of("{\"items\":[" + line + "],\"customer\":\"bob\"}",
        "{\"items\":[" + line + "],\"status\":\"CONFIRMED\"}", "{\"id\":\"x\",\"items\":[" + line + "]}",
        "{\"items\":[{\"sku\":\"" + sku + "\",\"quantity\":1,\"price\":0}]}", "{\"items\":[]}",
        "{\"items\":[" + String.join(",", java.util.Collections.nCopies(101, line)) + "]}", "{\"Items\":[" + line + "]}")) {
      add("unknown or missing field", order("order " + body.substring(0, Math.min(60, body.length()))).json(body),
          Expect.REFUSED);
    }
    add("unknown field", restock("restock extra").json("{\"quantity\":5,\"sku\":\"other\"}"), Expect.REFUSED);
  }

  /** Deep nesting and oversized bodies. */
  private void sizes() {
    for (int depth : new int[] {64, 1_000, 5_000, 20_000, 40_000}) {
      add("deep nesting", order("items nested " + depth).json("{\"items\":" + "[".repeat(depth) + "]".repeat(depth)
          + "}"), Expect.REFUSED);
      add("deep nesting", order("object nested " + depth).json("{\"items\":[{\"sku\":" + "{\"a\":".repeat(depth)
          + "1" + "}".repeat(depth) + ",\"quantity\":1}]}"), Expect.REFUSED);
      add("deep nesting", restock("restock nested " + depth).json("{\"quantity\":" + "[".repeat(depth)
          + "]".repeat(depth) + "}"), Expect.REFUSED);
    }
    add("deep nesting", order("unclosed nesting").json("[".repeat(30_000)), Expect.REFUSED);
    for (int size : new int[] {64 * 1024 + 1, 200_000, 1_100_000}) {
      add("oversized body", order("sku of " + size).json("{\"items\":[{\"sku\":\"" + "A".repeat(size)
          + "\",\"quantity\":1}]}"), Expect.BROKEN);
      add("oversized body", order("whitespace of " + size).json(validOrder() + " ".repeat(size)), Expect.BROKEN);
    }
    add("oversized body", order("63 KB of nonsense").json("{\"items\":\"" + "x".repeat(63 * 1024) + "\"}"),
        Expect.REFUSED);
  }

  /** Bad UTF-8 in bodies, paths and headers. */
  private void encodings() {
    byte[][] bad = {{(byte) 0xC3, 0x28}, {(byte) 0xFF, (byte) 0xFE}, {(byte) 0xC0, (byte) 0xAF},
        {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80},
        {(byte) 0xE2, (byte) 0x82}, {(byte) 0x80}};
    for (byte[] bytes : bad) {
      String hex = hex(bytes);
      add("bad UTF-8", order("sku bytes " + hex).body("application/json", concat(
          "{\"items\":[{\"sku\":\"".getBytes(StandardCharsets.UTF_8), bytes,
          "\",\"quantity\":1}]}".getBytes(StandardCharsets.UTF_8))), Expect.REFUSED);
      add("bad UTF-8", order("key bytes " + hex).body("application/json", concat("{\"".getBytes(StandardCharsets.UTF_8),
          bytes, "\":[]}".getBytes(StandardCharsets.UTF_8))), Expect.REFUSED);
      add("bad UTF-8", order("body ends in " + hex).body("application/json", concat(
          validOrder().getBytes(StandardCharsets.UTF_8), bytes)), Expect.REFUSED);
      add("bad UTF-8", RawHttp.Request.ofBytes("path bytes " + hex, concat("GET /api/inventory/".getBytes(
          StandardCharsets.US_ASCII), bytes, " HTTP/1.1".getBytes(StandardCharsets.US_ASCII))).bearer(
          User.ALICE.token()), Expect.BROKEN);
      add("bad UTF-8", RawHttp.Request.of("header bytes " + hex, "GET", "/api/orders").bearer(User.ALICE.token())
          .headerBytes(concat("X-Request-Id: ".getBytes(StandardCharsets.US_ASCII), bytes)), Expect.READ);
      add("bad UTF-8", RawHttp.Request.of("token bytes " + hex, "GET", "/api/orders").headerBytes(concat(
          "Authorization: Bearer ".getBytes(StandardCharsets.US_ASCII), bytes)), Expect.REFUSED);
    }
    add("bad UTF-8", order("escaped lone surrogate").json("{\"items\":[{\"sku\":\"\\ud800\",\"quantity\":1}]}"),
        Expect.REFUSED);
    add("odd charset", order("UTF-16 body").body("application/json", validOrder().getBytes(StandardCharsets.UTF_16)),
        Expect.REFUSED);
  }

  /** Tampered, expired, unsigned and otherwise bad tokens, and bad Authorization headers, on every kind of call. */
  private void tokens() {
    Map<String, String> forged = ForgedTokens.all();
    forged.forEach((what, token) -> {
      add("bad token", orderWithoutToken("order, token " + what).bearer(token).json(validOrder()), Expect.REFUSED);
      add("bad token", RawHttp.Request.of("restock, token " + what, "POST", "/api/inventory/" + sku + "/restock")
          .bearer(token).json("{\"quantity\":5}"), Expect.REFUSED);
      add("bad token", RawHttp.Request.of("cancel, token " + what, "POST", "/api/orders/" + aliceOrder + "/cancel")
          .bearer(token), Expect.REFUSED);
      add("bad token", RawHttp.Request.of("list, token " + what, "GET", "/api/orders").bearer(token), Expect.REFUSED);
    });
    for (String header : List.of("Basic YWxpY2U6YWxpY2UtcHc=", "Bearer", "Bearer ", "Bearer    ", "Token "
        + User.ALICE.token(), "Bearer " + User.ALICE.token() + " extra", "Bearer " + User.ALICE.token() + "x",
        "Bearer\t" + User.ALICE.token(), "Digest x", "Bearer null", "Bearer undefined")) {
      add("bad authorization", RawHttp.Request.of("order, Authorization " + header.substring(0, Math.min(20,
          header.length())), "POST", "/api/orders").header("Authorization", header).json(validOrder()), Expect.REFUSED);
    }
    add("no token", RawHttp.Request.of("order without a token", "POST", "/api/orders").json(validOrder()),
        Expect.REFUSED);
    add("wrong role", RawHttp.Request.of("restock as a customer", "POST", "/api/inventory/" + sku + "/restock")
        .bearer(User.BOB.token()).json("{\"quantity\":5}"), Expect.REFUSED);
    add("wrong role", RawHttp.Request.of("admin view as a customer", "GET", "/api/admin/services")
        .bearer(User.BOB.token()), Expect.REFUSED);
    add("wrong owner", RawHttp.Request.of("cancel of alice's order by bob", "POST", "/api/orders/" + aliceOrder
        + "/cancel").bearer(User.BOB.token()), Expect.REFUSED);
    add("two tokens", RawHttp.Request.of("list with a valid and a forged token", "GET", "/api/orders")
        .bearer(User.ALICE.token()).bearer(forged.get("payload changed to admin, old signature")), Expect.READ);
  }

  /** Path tricks. */
  private void paths() {
    String token = User.ALICE.token();
    for (String path : List.of("/api/orders/../inventory", "/api/./orders", "/api//orders", "/api/orders/",
        "/api/orders/%2e%2e/%2e%2e/admin/outbox", "/api/inventory/..%2F..%2Fadmin%2Foutbox", "/%2e%2e/admin/outbox",
        "/admin/outbox", "/admin/dead-letters", "/api/orders/" + aliceOrder + "%00", "/api/orders/%ZZ",
        "/api/orders/" + "a".repeat(300), "/api/inventory/" + "A".repeat(65), "/API/ORDERS", "/api/Orders",
        "/api/orders?limit=0", "/api/orders?limit=501", "/api/orders?limit=-1", "/api/orders?limit=abc",
        "/api/orders?limit=1e3", "/api/orders?limit=99999999999999999999", "/api/orders?offset=-1",
        "/api/orders?offset=2147483648", "/api/orders?status=pending", "/api/orders?status=PENDING&status=CONFIRMED",
        "/api/orders?%ZZ", "/api/orders?limit=" + "9".repeat(5_000), "/api/inventory?limit=%00",
        "/api/orders/" + aliceOrder + "/../../inventory", "/api/orders/%2F", "/api/orders/..;/inventory",
        "/api/inventory/A%20B", "/api/inventory/%C3%A9", "/api/orders#frag", "//api/orders",
        "/api/orders/" + aliceOrder + "/cancel", "/metrics/../api/orders", "/openapi.json/..", "*",
        "http://evil.example/api/orders", "/api/auth/token/../../api/orders")) {
      // A path that normalises to an API route may be read; nothing may reach an operator (admin) route.
      add("path trick", RawHttp.Request.of("GET " + path.substring(0, Math.min(70, path.length())), "GET", path)
          .bearer(token), path.contains("admin") ? Expect.BROKEN : Expect.READ);
    }
    for (String path : List.of("/api/orders/../inventory/" + sku + "/restock", "/api/orders/%2e%2e/inventory/" + sku
        + "/restock", "/api/inventory/" + sku + "/restock/", "/api/inventory/" + sku + "/restock/../restock",
        "/api/orders/" + aliceOrder + "/cancel/..", "/api/orders/x/cancel", "/api/orders/" + aliceOrder + "%2Fcancel",
        "/api/admin/dead-letters/1/requeue", "/api/orders/" + "%2e".repeat(10) + "/cancel")) {
      add("path trick", RawHttp.Request.of("POST " + path.substring(0, Math.min(70, path.length())), "POST", path)
          .bearer(User.BOB.token()).json("{\"quantity\":5}"), Expect.BROKEN);
    }
  }

  /** Methods the API does not have. */
  private void methods() {
    for (String method : List.of("PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "FOO", "get")) {
      for (String path : List.of("/api/orders", "/api/orders/" + aliceOrder, "/api/inventory/" + sku, "/")) {
        add("method", RawHttp.Request.of(method + " " + path, method, path).bearer(User.ALICE.token())
            .json(validOrder()), Expect.BROKEN);
      }
    }
    add("method", RawHttp.Request.of("HEAD orders", "HEAD", "/api/orders").bearer(User.ALICE.token()), Expect.READ);
  }

  /** Odd headers. */
  private void headers() {
    String token = User.ALICE.token();
    for (String[] header : new String[][] {{"X-Request-Id", "x".repeat(10_000)}, {"X-Request-Id", "\u00e9t\u00e9"},
        {"X-Request-Id", "a b c"}, {"X-Request-Id", ""}, {"Idempotency-Key", "k".repeat(300)},
        {"X-Forwarded-For", "1.2.3.4, evil"}, {"Accept", "application/xml"}, {"Accept-Encoding", "gzip;q=x"},
        {"Content-Type", "application/json"}, {"Host", ""}, {"Host", "evil.example"}, {"Expect", "100-continue"},
        {"Upgrade", "websocket"}, {"Connection", "Upgrade"}, {"Cookie", "a=" + "b".repeat(8_000)},
        {"X-Huge", "h".repeat(20_000)}, {"Range", "bytes=0-1"}}) {
      add("odd header", RawHttp.Request.of("GET with " + header[0] + " of " + header[1].length(), "GET", "/api/orders")
          .bearer(token).header(header[0], header[1]), Expect.READ);
    }
    RawHttp.Builder many = RawHttp.Request.of("GET with 300 headers", "GET", "/api/orders").bearer(token);
    for (int i = 0; i < 300; i++) {
      many.header("X-Extra-" + i, "v".repeat(40));
    }
    add("odd header", many, Expect.READ);
    for (String raw : List.of("Garbage", "Bad Header: x", ": empty name", "X-Null: a\u0000b", " X-Folded: a",
        "X-Colon:: x")) {
      add("odd header", RawHttp.Request.of("GET with '" + raw + "'", "GET", "/api/orders").bearer(token)
          .headerBytes(raw.getBytes(StandardCharsets.UTF_8)), Expect.READ);
    }
    for (String[] header : new String[][] {{"Idempotency-Key", "k".repeat(300)}, {"Idempotency-Key", "\u00e9t\u00e9"},
        {"Idempotency-Key", "a b"}, {"Idempotency-Key", ""}}) {
      add("odd header", order("order with " + header[0] + " of " + header[1].length()).header(header[0], header[1])
          .json(validOrder()), Expect.REFUSED);
    }
    for (String type : List.of("text/plain", "application/xml", "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded", "json", "*/*")) {
      add("content type", order("order as " + type).body(type, validOrder().getBytes(StandardCharsets.UTF_8)),
          Expect.REFUSED);
    }
    add("content type", order("order without Content-Type").body(null, validOrder().getBytes(StandardCharsets.UTF_8)),
        Expect.REFUSED);
  }

  /** Broken framing: lengths that lie, chunks that do not add up, request lines that are not HTTP. */
  private void framing() {
    byte[] valid = validOrder().getBytes(StandardCharsets.UTF_8);
    add("framing", order("body cut short").body("application/json", java.util.Arrays.copyOf(valid, 10))
        .truncated(valid.length), Expect.BROKEN);
    add("framing", order("declares a huge body").body("application/json", valid).truncated(Integer.MAX_VALUE),
        Expect.BROKEN);
    for (String length : List.of("-1", "abc", "99999999999999999999", "1, 2", "0x10")) {
      add("framing", order("Content-Length " + length).header("Content-Length", length).body("application/json", valid)
          .unframed(), Expect.BROKEN);
    }
    add("framing", order("two lengths").header("Content-Length", "5").header("Content-Length", "" + valid.length)
        .body("application/json", valid).unframed(), Expect.BROKEN);
    add("framing", order("length and chunked").header("Content-Length", "4").header("Transfer-Encoding", "chunked")
        .body("application/json", ("0\r\n\r\n" + validOrder()).getBytes(StandardCharsets.UTF_8)).unframed(),
        Expect.BROKEN);
    add("framing", order("bad chunk size").header("Transfer-Encoding", "chunked")
        .body("application/json", ("zz\r\n" + validOrder() + "\r\n0\r\n\r\n").getBytes(StandardCharsets.UTF_8))
        .unframed(), Expect.BROKEN);
    add("framing", order("chunks cut short").header("Transfer-Encoding", "chunked")
        .body("application/json", ("ff\r\n" + validOrder()).getBytes(StandardCharsets.UTF_8)).truncated(0),
        Expect.BROKEN);
    // Read as chunked, the body never finishes its first chunk-size line: the client gives up and closes.
    add("framing", order("unknown transfer coding").header("Transfer-Encoding", "gzip, chunked")
        .body("application/json", valid).unframed().halfClose(), Expect.BROKEN);
    add("request line", RawHttp.Request.ofBytes("request line with two spaces", "GET  /api/orders HTTP/1.1"
        .getBytes(StandardCharsets.US_ASCII)).bearer(User.ALICE.token()), Expect.READ); // tolerated, a read
    for (String line : List.of("GET", "GET /api/orders", "GET /api/orders HTTP/9.9", "GET /api/orders HTTP/1.1 x",
        "/api/orders HTTP/1.1", "HTTP/1.1 200 OK", "GET /api/orders HTTP/1.1\u0000",
        "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003", "PRI * HTTP/2.0",
        "GET /" + "a".repeat(10_000) + " HTTP/1.1")) {
      add("request line", RawHttp.Request.ofBytes("request line " + line.substring(0, Math.min(30, line.length())),
          line.getBytes(StandardCharsets.ISO_8859_1)).bearer(User.ALICE.token()), Expect.BROKEN);
    }
  }

  /** A valid order with one byte that cannot stay valid JSON for an order inserted at a random place. */
  private void corruption(Random random) {
    byte[] valid = validOrder().getBytes(StandardCharsets.UTF_8);
    int at = random.nextInt(valid.length + 1);
    byte[] breaker = BREAKERS[random.nextInt(BREAKERS.length)];
    byte[] body = concat(java.util.Arrays.copyOf(valid, at), breaker, java.util.Arrays.copyOfRange(valid, at,
        valid.length));
    add("random corruption", order("insert " + hex(breaker) + " at " + at).body("application/json", body),
        Expect.REFUSED);
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  private static String hex(byte[] bytes) {
    StringBuilder text = new StringBuilder();
    for (byte b : bytes) {
      text.append(String.format("%02X", b & 0xFF));
    }
    return text.toString();
  }
}
