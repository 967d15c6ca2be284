package io.github.vertxsaga.systemtests;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.platform.testing.Eventually;
import io.github.vertxsaga.systemtests.process.ServiceProcess;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
    Http.Reply restocked = Http.bearer(admin).post(URI.create(gateway + "/api/inventory/" + sku + "/restock"),
        "{\"quantity\":5}");
    assertThat(restocked.status()).as(restocked.body()).isEqualTo(200);

    Http.Reply placed = Http.bearer(alice).post(URI.create(gateway + "/api/orders"),
        "{\"items\":[{\"sku\":\"" + sku + "\",\"quantity\":2}]}");
    assertThat(placed.status()).as(placed.body()).isEqualTo(202);
    String location = placed.headers().firstValue("Location").orElseThrow();
    assertThat(awaitStatus(URI.create(gateway + location), "CONFIRMED", alice)).isEqualTo("CONFIRMED");
    JsonObject stock = Http.bearer(alice).get(URI.create(gateway + "/api/inventory/" + sku)).json();
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

  private void awaitReady(URI ready) {
    // Polled no faster than before the gateway listens: until then each probe is a refused connection.
    Eventually.until(ready + " answers 200", READY_WITHIN, Duration.ofMillis(250), () -> {
      if (!binRun.isAlive()) {
        throw new Eventually.GiveUp("bin/run exited with status " + binRun.exitValue() + " before " + ready
            + " answered 200");
      }
      return Http.anonymous().timeout(Duration.ofSeconds(2)).get(ready).status() == 200;
    });
  }

  /** The accounts bin/run announced: {@code users (AUTH_USERS): alice:pw:customer bob:pw:customer admin:pw:admin}. */
  private Map<String, String> printedPasswords() {
    // It prints them just after /ready answers.
    String line = Eventually.value("bin/run prints its demo accounts (see " + output + ")", Duration.ofSeconds(10),
        ServiceProcess.PROBE_EVERY, () -> lines(output).stream().filter(l -> l.contains("users (AUTH_USERS):"))
            .findFirst());
    Map<String, String> passwords = new java.util.HashMap<>();
    for (String account : line.substring(line.indexOf(':', line.indexOf("AUTH_USERS")) + 1).trim().split(" ")) {
      String[] parts = account.split(":");
      passwords.put(parts[0], parts[1]);
    }
    return passwords;
  }

  private static List<String> lines(Path file) {
    try {
      return Files.readAllLines(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String token(String gateway, String user, String password) {
    Http.Reply response = Http.anonymous().post(URI.create(gateway + "/api/auth/token"),
        new JsonObject().put("username", user).put("password", password));
    assertThat(response.status()).as("token for " + user + ": " + response.body()).isEqualTo(200);
    return response.json().getString("access_token");
  }

  private static String awaitStatus(URI order, String wanted, String token) {
    return Eventually.value("the order is " + wanted, CONFIRMED_WITHIN, ServiceProcess.PROBE_EVERY, () -> {
      Http.Reply response = Http.bearer(token).get(order);
      String status = response.status() == 200 ? response.json().getString("status") : "HTTP " + response.status();
      if (!wanted.equals(status)) {
        throw new IllegalStateException("the order is " + status); // the cause, should it never be wanted
      }
      return Optional.of(status);
    });
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
    try {
      CompletableFuture.allOf(processes.stream().map(ProcessHandle::onExit).toArray(CompletableFuture[]::new))
          .get(2, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      // some outlived the grace: listed below
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
