package io.github.vertxsaga.systemtests;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.systemtests.process.Ports;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@code bin/run} as a new user would, from the repository root with a fresh data directory, and uses the
 * system through the gateway it prints. Its output, with each service's log, is kept under
 * {@code system-tests/target/system-test-logs/BinRunIT/}.
 */
@DisplayName("bin/run")
class BinRunIT {
  private static final Duration READY_WITHIN = Duration.ofSeconds(120);
  private static final Duration CONFIRMED_WITHIN = Duration.ofSeconds(30);
  private static final Duration EXITS_WITHIN = Duration.ofSeconds(30);
  /** What bin/run and the services read: a developer's own settings must not leak into the run. */
  private static final Pattern SETTING = Pattern.compile(
      "(CLUSTER|GATEWAY|BREAKER|DB|OUTBOX|ORDER|INVENTORY|JWT|AUTH|RATE_LIMIT)_\\w+"
      + "|LOG_LEVEL|HTTP_PORT|DISCOVERY_REFRESH_MS|SHUTDOWN_GRACE_MS|FAULT_HALT_AFTER_APPLY|DATA_DIR|LOG_DIR");
  private static final List<String> JARS = List.of("inventory-service/target/inventory-service.jar",
      "order-service/target/order-service.jar", "gateway/target/gateway.jar");
  private static final HttpClient http = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2))
      .build();

  private final Path root = projectRoot();
  private final Path logs = root.resolve("system-tests/target/system-test-logs/BinRunIT");
  private final Path output = logs.resolve("bin-run.out");
  private Process binRun;

  @RegisterExtension
  final TestWatcher whereTheLogsAre = new TestWatcher() {
    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
      System.err.println("bin/run's output: " + output + "; the services' logs: " + logs);
      try {
        List<String> lines = Files.readAllLines(output);
        lines.subList(Math.max(0, lines.size() - 60), lines.size()).forEach(System.err::println);
      } catch (IOException e) {
        System.err.println("cannot read " + output + ": " + e);
      }
    }
  };

  @Test
  @DisplayName("starts the system, confirms an order placed through the gateway, and leaves no process behind on SIGTERM")
  void runsTheSystemAndStopsCleanly(@TempDir Path dataDir) throws Exception {
    int port = Ports.free();
    Files.createDirectories(logs);
    ProcessBuilder builder = new ProcessBuilder(root.resolve("bin/run").toString())
        .directory(root.toFile())
        .redirectErrorStream(true)
        .redirectOutput(output.toFile());
    Map<String, String> environment = builder.environment();
    environment.keySet().removeIf(name -> SETTING.matcher(name).matches());
    environment.put("HTTP_PORT", Integer.toString(port));
    environment.put("CLUSTER_NAME", "binrun-" + UUID.randomUUID().toString().substring(0, 8));
    environment.put("CLUSTER_PORT", Integer.toString(clusterPort()));
    environment.put("DATA_DIR", dataDir.toString());
    environment.put("LOG_DIR", logs.toString());

    long started = System.nanoTime();
    binRun = builder.start();
    awaitReady(URI.create("http://127.0.0.1:" + port + "/ready"));
    double readySeconds = (System.nanoTime() - started) / 1e9;
    String timing = String.format("bin/run: the gateway answered /ready %.1f s after bin/run started%n", readySeconds);
    System.out.print(timing);
    Files.writeString(logs.resolve("time-to-ready.txt"), timing);

    String gateway = "http://127.0.0.1:" + port;
    // As a new user would: sign in with the demo accounts bin/run printed.
    Map<String, String> passwords = printedPasswords();
    String admin = token(gateway, "admin", passwords.get("admin"));
    String alice = token(gateway, "alice", passwords.get("alice"));
    String sku = "BINRUN-" + UUID.randomUUID().toString().substring(0, 8);
    HttpResponse<String> restocked = send("POST", gateway + "/api/inventory/" + sku + "/restock", "{\"quantity\":5}",
        admin);
    assertThat(restocked.statusCode()).as(restocked.body()).isEqualTo(200);

    HttpResponse<String> placed = send("POST", gateway + "/api/orders",
        "{\"items\":[{\"sku\":\"" + sku + "\",\"quantity\":2}]}", alice);
    assertThat(placed.statusCode()).as(placed.body()).isEqualTo(202);
    String location = placed.headers().firstValue("Location").orElseThrow();
    assertThat(awaitStatus(gateway + location, "CONFIRMED", alice)).isEqualTo("CONFIRMED");
    JsonObject stock = new JsonObject(send("GET", gateway + "/api/inventory/" + sku, null, alice).body());
    assertThat(stock.getLong("available")).isEqualTo(3);
    assertThat(stock.getLong("reserved")).isEqualTo(2);

    List<ProcessHandle> descendants = binRun.descendants().toList();
    assertThat(descendants.stream().flatMap(p -> jar(p).stream()).toList())
        .as("the JVMs bin/run started").containsExactlyInAnyOrderElementsOf(JARS);

    binRun.destroy(); // SIGTERM, as Ctrl-C's counterpart from a process manager
    assertThat(binRun.waitFor(EXITS_WITHIN.toSeconds(), TimeUnit.SECONDS))
        .as("bin/run exited within %s of SIGTERM", EXITS_WITHIN).isTrue();
    assertThat(binRun.exitValue()).as("bin/run's exit status").isZero();
    assertThat(stillAlive(descendants)).as("processes bin/run started that outlived it").isEmpty();
  }

  @AfterEach
  void stopWhatIsLeft() throws InterruptedException {
    if (binRun != null && binRun.isAlive()) {
      List<ProcessHandle> descendants = binRun.descendants().toList();
      binRun.destroy();
      if (!binRun.waitFor(EXITS_WITHIN.toSeconds(), TimeUnit.SECONDS)) {
        descendants.forEach(ProcessHandle::destroyForcibly);
        binRun.destroyForcibly();
      }
    }
  }

  private void awaitReady(URI ready) throws Exception {
    long deadline = System.nanoTime() + READY_WITHIN.toNanos();
    while (System.nanoTime() < deadline) {
      if (!binRun.isAlive()) {
        throw new AssertionError("bin/run exited with status " + binRun.exitValue() + " before " + ready + " answered 200");
      }
      try {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(2)).build(),
            HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // the gateway is not listening yet
      }
      Thread.sleep(250);
    }
    throw new AssertionError(ready + " did not answer 200 within " + READY_WITHIN);
  }

  /** The accounts bin/run announced: {@code users (AUTH_USERS): alice:pw:customer bob:pw:customer admin:pw:admin}. */
  private Map<String, String> printedPasswords() throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos(); // it prints just after /ready answers
    java.util.Optional<String> printed = java.util.Optional.empty();
    while (printed.isEmpty() && System.nanoTime() < deadline) {
      printed = Files.readAllLines(output).stream().filter(l -> l.contains("users (AUTH_USERS):")).findFirst();
      if (printed.isEmpty()) {
        Thread.sleep(100);
      }
    }
    String line = printed.orElseThrow(() -> new AssertionError("bin/run printed no demo accounts; see " + output));
    Map<String, String> passwords = new java.util.HashMap<>();
    for (String account : line.substring(line.indexOf(':', line.indexOf("AUTH_USERS")) + 1).trim().split(" ")) {
      String[] parts = account.split(":");
      passwords.put(parts[0], parts[1]);
    }
    return passwords;
  }

  private static String token(String gateway, String user, String password) throws Exception {
    HttpResponse<String> response = send("POST", gateway + "/api/auth/token",
        new JsonObject().put("username", user).put("password", password).encode(), null);
    assertThat(response.statusCode()).as("token for " + user + ": " + response.body()).isEqualTo(200);
    return new JsonObject(response.body()).getString("access_token");
  }

  private static String awaitStatus(String order, String wanted, String token) throws Exception {
    long deadline = System.nanoTime() + CONFIRMED_WITHIN.toNanos();
    String status = null;
    while (System.nanoTime() < deadline) {
      HttpResponse<String> response = send("GET", order, null, token);
      if (response.statusCode() == 200) {
        status = new JsonObject(response.body()).getString("status");
        if (wanted.equals(status)) {
          return status;
        }
      }
      Thread.sleep(100);
    }
    return status;
  }

  private static HttpResponse<String> send(String method, String uri, String json, String token) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(10));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    if (json == null) {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(json));
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The service jar a process runs with {@code java -jar}, if it is one of ours. */
  private static Optional<String> jar(ProcessHandle process) {
    return process.info().arguments().map(List::of).flatMap(args -> {
      int jar = args.indexOf("-jar");
      return jar >= 0 && jar + 1 < args.size() && JARS.contains(args.get(jar + 1))
          ? Optional.of(args.get(jar + 1)) : Optional.empty();
    });
  }

  /** Those still alive after a short grace, described with their command lines. */
  private static List<String> stillAlive(List<ProcessHandle> processes) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
    while (processes.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    return processes.stream().filter(ProcessHandle::isAlive)
        .map(p -> p.pid() + " " + p.info().commandLine().orElse("?")).toList();
  }


  /**
   * 5801, away from a developer's cluster on 5701 and the other process tests' 6700-6999, unless taken: the three
   * JVMs take three consecutive ports from it, and a seed without a port is tried on exactly those three.
   */
  private static int clusterPort() {
    for (int first = 5801; first < 5900; first += 20) {
      if (free(first) && free(first + 1) && free(first + 2)) {
        return first;
      }
    }
    throw new IllegalStateException("no three consecutive free ports from 5801 to 5900");
  }

  private static boolean free(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(false);
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** The repository root: Maven's {@code project.root}, or the parent of this module when run from its folder. */
  private static Path projectRoot() {
    String property = System.getProperty("project.root", "");
    Path candidate = property.isBlank() ? Path.of("..") : Path.of(property);
    if (!Files.isRegularFile(candidate.resolve("bin/run"))) {
      candidate = Path.of("..");
    }
    return candidate.toAbsolutePath().normalize();
  }
}
