package io.github.vertxsaga.systemtests.process;

import io.github.vertxsaga.platform.config.ClusterSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * The processes of one test, on a cluster of their own. Register it as an instance field with
 * {@code @RegisterExtension}: before each test it picks a unique {@code CLUSTER_NAME}, a block of Hazelcast ports in
 * 6700-6999 and a log folder {@code system-tests/target/system-test-logs/<TestClass>/<test>/}; after each test,
 * passed or failed, it kills every process it started and leaves the cluster. The logs stay; a failure names their
 * folder.
 */
public final class ProcessCluster implements BeforeEachCallback, AfterEachCallback, TestExecutionExceptionHandler {
  public static final String HOST = "127.0.0.1";
  /** Seeds listed in {@code CLUSTER_MEMBERS}: the first ports of the block, enough for every process of a test. */
  static final int SEEDS = 6;
  /** The environment of the test JVM that must not leak into a process's configuration. */
  private static final List<String> CONFIGURATION_PREFIXES = List.of("CLUSTER_", "HTTP_PORT", "DB_", "SHUTDOWN_GRACE_MS",
      "OUTBOX_", "FAULT_", "GATEWAY_", "BREAKER_", "DISCOVERY_", "ORDER_", "LOG_LEVEL");
  /** Every process still running in this JVM: killed by a shutdown hook should the test JVM itself be stopped. */
  private static final Set<ServiceProcess> RUNNING = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(ServiceProcess::destroy),
        "kill-test-processes"));
  }

  private String clusterName;
  private int portBase;
  private List<String> members;
  private Path logDir;
  private Path dbDir;
  private final List<ServiceProcess> processes = new ArrayList<>();
  private final Map<String, Integer> starts = new HashMap<>();
  private ObserverNode observer;

  @Override
  public void beforeEach(ExtensionContext context) throws IOException {
    String testClass = context.getRequiredTestClass().getSimpleName();
    String test = context.getRequiredTestMethod().getName();
    clusterName = ("it-" + testClass + "-" + test + "-" + UUID.randomUUID().toString().substring(0, 8))
        .toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-");
    portBase = Ports.clusterBlock();
    members = IntStream.range(portBase, portBase + SEEDS).mapToObj(port -> HOST + ":" + port).toList();
    logDir = Service.projectRoot().resolve("system-tests/target/system-test-logs").resolve(testClass).resolve(test);
    deleteRecursively(logDir);
    Files.createDirectories(logDir);
    dbDir = Files.createTempDirectory("saga-it-");
    System.out.printf("%s: cluster %s on ports %d-%d, logs in %s%n", test, clusterName, portBase,
        portBase + Ports.BLOCK - 1, logDir);
  }

  @Override
  public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
    failure.addSuppressed(new ProcessLogs(logDir));
    throw failure;
  }

  @Override
  public void afterEach(ExtensionContext context) {
    processes.forEach(process -> {
      process.destroy();
      RUNNING.remove(process);
    });
    if (observer != null) {
      try {
        observer.close();
      } catch (RuntimeException e) {
        System.out.println("observer did not leave cleanly: " + e);
      }
    }
    try {
      deleteRecursively(dbDir);
    } catch (IOException e) {
      System.out.println("could not delete " + dbDir + ": " + e);
    }
    context.getExecutionException().ifPresent(e -> System.out.println("FAILED " + context.getDisplayName()
        + ": process logs are in " + logDir));
  }

  public String clusterName() {
    return clusterName;
  }

  public int clusterPort() {
    return portBase;
  }

  public String clusterMembers() {
    return String.join(",", members);
  }

  public Path logDir() {
    return logDir;
  }

  /** Starts a process of the service on this test's cluster, with its own HTTP port and (for services) database. */
  public ServiceProcess start(Service service, String name) {
    return start(service, name, Map.of());
  }

  /** As {@link #start(Service, String)}, with variables that add to or replace the defaults. */
  public ServiceProcess start(Service service, String name, Map<String, String> overrides) {
    Map<String, String> env = new HashMap<>();
    env.put("CLUSTER_NAME", clusterName);
    env.put("CLUSTER_HOST", HOST);
    env.put("CLUSTER_PORT", Integer.toString(portBase));
    env.put("CLUSTER_MEMBERS", clusterMembers());
    env.put("HTTP_PORT", Integer.toString(Ports.free()));
    if (service.hasDatabase()) {
      env.put("DB_URL", "jdbc:h2:file:" + dbDir.resolve(name).toAbsolutePath());
      env.put("DB_USER", "sa");
      env.put("DB_PASSWORD", "");
    }
    env.putAll(overrides);
    return launch(service, name, env);
  }

  /** Starts the service again exactly as {@code previous} was configured: same database, same port. */
  public ServiceProcess restart(ServiceProcess previous) {
    if (previous.isAlive()) {
      throw new IllegalStateException(previous + " is still running");
    }
    return launch(previous.service(), previous.name(), previous.environment());
  }

  private ServiceProcess launch(Service service, String name, Map<String, String> env) {
    int start = starts.merge(name, 1, Integer::sum);
    Path log = logDir.resolve(start == 1 ? name + ".log" : name + "-" + start + ".log");
    ProcessBuilder builder = new ProcessBuilder(javaCommand(), "-Xmx256m", "-jar", service.jar().toString())
        .directory(logDir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile());
    builder.environment().keySet().removeIf(key -> CONFIGURATION_PREFIXES.stream().anyMatch(key::startsWith));
    builder.environment().putAll(env);
    try {
      ServiceProcess process = new ServiceProcess(service, name, env, Integer.parseInt(env.get("HTTP_PORT")), log,
          builder.start());
      processes.add(process);
      RUNNING.add(process);
      return process;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name, e);
    }
  }

  /** A member of this cluster in the test JVM, joined on first use. */
  public ObserverNode observer() {
    if (observer == null) {
      observer = ObserverNode.join(new ClusterSettings(clusterName, HOST, portBase, members));
    }
    return observer;
  }

  private static String javaCommand() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }

  /** Attached to a failure so the report names where the processes' logs are. */
  static final class ProcessLogs extends RuntimeException {
    ProcessLogs(Path dir) {
      super("process logs of this test: " + dir, null, false, false);
    }
  }
}
