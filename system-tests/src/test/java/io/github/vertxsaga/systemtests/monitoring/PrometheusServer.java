package io.github.vertxsaga.systemtests.monitoring;

import io.github.vertxsaga.platform.testing.Eventually;
import io.github.vertxsaga.systemtests.Http;
import io.github.vertxsaga.systemtests.Ports;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * A real Prometheus process for one test: the repository's prometheus.yml with the test's processes as targets, the
 * repository's alerts.yml as it is, scraping and evaluating every second, its storage in a temporary folder. Closing
 * it kills the process and deletes the folder.
 */
final class PrometheusServer implements AutoCloseable {
  static final Duration INTERVAL = Duration.ofSeconds(1);

  private final Process process;
  private final Path storage;
  private final int port;

  private PrometheusServer(Process process, Path storage, int port) {
    this.process = process;
    this.storage = storage;
    this.port = port;
  }

  /**
   * Starts Prometheus on a free loopback port with {@code targets} ({@code host:port}) for each job of
   * prometheus.yml; the jobs given must be exactly those of the file, so that the rules see the job names of a real
   * deployment. Waits until it answers {@code /-/ready}.
   */
  static PrometheusServer start(Path binary, Path logDir, Map<String, List<String>> targets) throws IOException {
    Path storage = Files.createTempDirectory("prometheus-it-");
    Path config = storage.resolve("prometheus.yml");
    Files.writeString(config, config(targets).encodePrettily()); // JSON is YAML
    int port = Ports.free();
    Process process = new ProcessBuilder(binary.toString(), "--config.file=" + config,
        "--storage.tsdb.path=" + storage.resolve("data"), "--web.listen-address=127.0.0.1:" + port)
        .redirectErrorStream(true)
        .redirectOutput(logDir.resolve("prometheus.log").toFile())
        .start();
    PrometheusServer server = new PrometheusServer(process, storage, port);
    try {
      Eventually.until("Prometheus answers /-/ready (log: " + logDir.resolve("prometheus.log") + ")",
          Duration.ofSeconds(60), () -> {
            if (!process.isAlive()) {
              throw new Eventually.GiveUp("Prometheus exited with " + process.exitValue() + "; see " + logDir);
            }
            return Http.anonymous().get(server.uri("/-/ready")).status() == 200;
          });
      return server;
    } catch (RuntimeException | Error e) {
      server.close();
      throw e;
    }
  }

  private static JsonObject config(Map<String, List<String>> targets) throws IOException {
    Map<String, Object> repository;
    try (Reader reader = Files.newBufferedReader(PrometheusTools.config())) {
      repository = new Yaml(new SafeConstructor(new LoaderOptions())).load(reader);
    }
    JsonObject config = new JsonObject(repository);
    JsonArray jobs = config.getJsonArray("scrape_configs");
    TreeSet<String> names = new TreeSet<>();
    jobs.stream().map(JsonObject.class::cast).forEach(job -> {
      String name = job.getString("job_name");
      names.add(name);
      job.put("static_configs", new JsonArray().add(new JsonObject()
          .put("targets", new JsonArray(targets.getOrDefault(name, List.of())))));
    });
    if (!names.equals(new TreeSet<>(targets.keySet()))) {
      throw new IllegalArgumentException("prometheus.yml has the jobs " + names + ", the test started "
          + targets.keySet());
    }
    String every = INTERVAL.toSeconds() + "s";
    return config
        .put("global", new JsonObject().put("scrape_interval", every).put("scrape_timeout", every)
            .put("evaluation_interval", every))
        .put("rule_files", new JsonArray().add(PrometheusTools.rules().toString()));
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  /** {@code data.activeTargets} of /api/v1/targets. */
  JsonArray targets() {
    return api("/api/v1/targets").getJsonArray("activeTargets");
  }

  /** The pending and firing alerts of /api/v1/alerts (a resolved alert is no longer listed). */
  JsonArray alerts() {
    return api("/api/v1/alerts").getJsonArray("alerts");
  }

  /** Every rule of every group of /api/v1/rules. */
  List<JsonObject> rules() {
    return api("/api/v1/rules").getJsonArray("groups").stream().map(JsonObject.class::cast)
        .flatMap(group -> group.getJsonArray("rules").stream().map(JsonObject.class::cast)).toList();
  }

  /** The result vector of an instant query. */
  JsonArray query(String promql) {
    return api("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)).getJsonArray("result");
  }

  private JsonObject api(String path) {
    Http.Reply reply = Http.anonymous().get(uri(path));
    if (reply.status() != 200 || !"success".equals(reply.json().getString("status"))) {
      throw new IllegalStateException("Prometheus " + path + ": " + reply);
    }
    return reply.json().getJsonObject("data");
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try (Stream<Path> paths = Files.walk(storage)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + storage, e);
    }
  }
}
