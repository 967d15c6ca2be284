package io.github.vertxsaga.systemtests.process;

import io.github.vertxsaga.platform.testing.Eventually;
import io.github.vertxsaga.systemtests.Http;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** One service jar running as its own JVM, with its combined output in a log file. */
public final class ServiceProcess {
  /** How often a test probes a process (over HTTP, or its log): a dozen JVMs may be sharing two cores. */
  public static final Duration PROBE_EVERY = Duration.ofMillis(100);
  private final Service service;
  private final String name;
  private final Map<String, String> environment;
  private final String host;
  private final int httpPort;
  private final Path log;
  private final Process process;
  private volatile boolean frozen;

  /** The JVM options every process starts with, before its class-data archive: deploy/jvm.options first. */
  public static List<String> jvmOptions() {
    return ClassArchive.JVM_OPTIONS;
  }

  ServiceProcess(Service service, String name, Map<String, String> environment, String host, int httpPort, Path log,
      Process process) {
    this.service = service;
    this.name = name;
    this.environment = Map.copyOf(environment);
    this.host = host;
    this.httpPort = httpPort;
    this.log = log;
    this.process = process;
  }

  public Service service() {
    return service;
  }

  public String name() {
    return name;
  }

  /** The environment it was started with (everything it was configured with). */
  public Map<String, String> environment() {
    return environment;
  }

  public int httpPort() {
    return httpPort;
  }

  /** The address it binds and advertises ({@code CLUSTER_HOST}): 127.0.0.1, or its own host's. */
  public String host() {
    return host;
  }

  /** {@code host:port}, as the gateway logs and names its breakers. */
  public String address() {
    return host + ":" + httpPort;
  }

  /**
   * On its HTTP port: the gateway's is plain HTTP; a service's is HTTPS with client certificates when TLS is on,
   * which {@link io.github.vertxsaga.systemtests.Http} calls with the tests' operator certificate.
   */
  public URI uri(String path) {
    boolean https = service.hasDatabase() && !"off".equals(environment.getOrDefault("CLUSTER_TLS", "on"));
    return URI.create((https ? "https" : "http") + "://" + host + ":" + httpPort + path);
  }

  /** A service's plain probe port ({@code OPS_PORT}): {@code /health}, {@code /ready}, {@code /metrics}. */
  public URI opsUri(String path) {
    String ops = environment.get("OPS_PORT");
    return ops == null ? uri(path) : URI.create("http://" + host + ":" + ops + path);
  }

  public long pid() {
    return process.pid();
  }

  public Path logFile() {
    return log;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** The instance id the process answers with in {@code X-Served-By} and publishes in its record's metadata. */
  public String instanceId() {
    String servedBy = Http.anonymous().get(uri("/health")).servedBy();
    if (servedBy == null || !servedBy.startsWith(service.serviceName() + "/")) {
      throw new IllegalStateException(name + " answered X-Served-By: " + servedBy);
    }
    return servedBy.substring(servedBy.indexOf('/') + 1);
  }

  /** Polls {@code GET /ready} until it answers 200; fails at once if the process exits. */
  public ServiceProcess awaitReady(Duration limit) {
    return awaitOk("/ready", limit);
  }

  /** Polls {@code GET /health} until it answers 200 (the gateway is healthy long before it is ready). */
  public ServiceProcess awaitHealthy(Duration limit) {
    return awaitOk("/health", limit);
  }

  private ServiceProcess awaitOk(String path, Duration limit) {
    Eventually.until(name + " answers 200 on " + path + " (log: " + log + ")", limit, PROBE_EVERY, () -> {
      if (!process.isAlive()) {
        throw new Eventually.GiveUp(name + " exited with " + process.exitValue() + " before " + path
            + " answered 200; log " + log + ":\n" + tail(40));
      }
      return Http.anonymous().get(uri(path)).status() == 200;
    });
    return this;
  }

  /** SIGTERM: the service unpublishes, drains and leaves the cluster. */
  public void terminate() {
    process.destroy();
  }

  /** SIGKILL ({@code kill -9}): no shutdown hook runs. */
  public void kill() {
    process.destroyForcibly();
  }

  /** SIGSTOP: the JVM stops dead, its sockets stay open. */
  public void freeze() {
    signal("STOP");
    frozen = true;
  }

  /** SIGCONT: resumes a frozen JVM. */
  public void thaw() {
    if (frozen) {
      signal("CONT");
      frozen = false;
    }
  }

  public boolean awaitExit(Duration limit) {
    try {
      return process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  public int exitValue() {
    return process.exitValue();
  }

  /** Kills the process whatever its state, and waits until it is gone. */
  void destroy() {
    if (process.isAlive()) {
      thaw(); // a stopped JVM dies on SIGKILL too, but it is resumed first as the tests promise
      process.destroyForcibly();
    }
    awaitExit(Duration.ofSeconds(15));
  }

  private void signal(String signal) {
    try {
      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid())).inheritIO().start();
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException("kill -" + signal + " " + pid() + " failed");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Everything the process has written so far. */
  public List<String> logLines() {
    try {
      return Files.readAllLines(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public boolean logContains(String text) {
    return logLines().stream().anyMatch(line -> line.contains(text));
  }

  public long logCount(String text) {
    return logLines().stream().filter(line -> line.contains(text)).count();
  }

  /** The first log line containing {@code text}, if written yet. */
  public Optional<String> logLine(String text) {
    return logLines().stream().filter(line -> line.contains(text)).findFirst();
  }

  /** Waits until a line containing {@code text} is in the log, and returns it. */
  public String awaitLog(String text, Duration limit) {
    return Eventually.value(name + " logs '" + text + "' (log: " + log + ")", limit, Duration.ofMillis(50),
        () -> logLine(text));
  }

  public String tail(int lines) {
    List<String> all = logLines();
    return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
  }

  @Override
  public String toString() {
    return name + "[pid " + pid() + ", http " + httpPort + "]";
  }
}
