package io.github.vertxsaga.systemtests.process;

import io.github.vertxsaga.platform.config.ClusterSettings;
import io.github.vertxsaga.platform.testing.TestCertificates;
import io.github.vertxsaga.platform.testing.TestTokens;
import io.github.vertxsaga.systemtests.Ports;
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
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * The processes of one test, or of one test class, on a cluster of their own. A test says what to start with a
 * {@link Topology}; this class gives the processes their cluster, ports, databases and log folder, and kills them
 * afterwards.
 *
 * <p>Registered as an instance field with {@code @RegisterExtension}, it serves one test: before the test it picks a
 * unique {@code CLUSTER_NAME}, a block of Hazelcast ports in 6700-6999 and a log folder
 * {@code system-tests/target/system-test-logs/<TestClass>/<test>/}; after the test, passed or failed, it kills every
 * process it started and leaves the cluster. Registered as a static field, it serves the whole class the same way
 * (log folder {@code <TestClass>/}), so that a class's scenarios share processes that take long to start. The logs
 * stay; a failure names their folder.
 */
public final class ProcessCluster implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback,
    AfterEachCallback, TestExecutionExceptionHandler, LifecycleMethodExecutionExceptionHandler {
  public static final String HOST = "127.0.0.1";
  /** Seeds listed in {@code CLUSTER_MEMBERS}: the first ports of the block, enough for every process of a test. */
  static final int SEEDS = 6;
  /** The environment of the test JVM that must not leak into a process's configuration. */
  private static final List<String> CONFIGURATION_PREFIXES = List.of("CLUSTER_", "EVENTBUS_", "HTTP_PORT", "DB_",
      "SHUTDOWN_GRACE_MS", "OUTBOX_", "FAULT_", "GATEWAY_", "BREAKER_", "DISCOVERY_", "ORDER_", "LOG_LEVEL", "JWT_",
      "AUTH_", "RATE_LIMIT_");
  /**
   * Rate limits no test reaches unless it sets its own: load loops send hundreds of requests a second as one user,
   * and every request of a test comes from the same address.
   */
  private static final Map<String, String> GENEROUS_RATE_LIMITS = Map.of(
      "RATE_LIMIT_PER_SECOND", "100000",
      "RATE_LIMIT_BURST", "100000",
      "AUTH_RATE_LIMIT_PER_MINUTE", "100000",
      "AUTH_RATE_LIMIT_BURST", "100000");
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
  private final List<ServiceProcess> processes = new CopyOnWriteArrayList<>();
  private final List<Runnable> closers = new ArrayList<>();
  private boolean classScoped;
  private final Map<String, Integer> starts = new HashMap<>();
  private ObserverNode observer;
  private Map<String, Placement> placements = Map.of();

  /**
   * Where a process runs when not on this machine's loopback: the command that enters its host (say
   * {@code ip netns exec <namespace>}) and the host's own address, which it binds and advertises.
   */
  public record Placement(List<String> commandPrefix, String host) {
  }

  @Override
  public void beforeAll(ExtensionContext context) throws IOException {
    classScoped = true; // only a static field's extension sees beforeAll
    open(context.getRequiredTestClass().getSimpleName(), null);
  }

  @Override
  public void beforeEach(ExtensionContext context) throws IOException {
    if (classScoped) {
      System.out.printf("%n=== %s%n", context.getDisplayName());
      return;
    }
    open(context.getRequiredTestClass().getSimpleName(), context.getRequiredTestMethod().getName());
  }

  private void open(String testClass, String test) throws IOException {
    String scope = test == null ? testClass : test;
    clusterName = ("it-" + testClass + (test == null ? "" : "-" + test) + "-" + UUID.randomUUID().toString()
        .substring(0, 8)).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-");
    portBase = Ports.processClusterBlock();
    members = IntStream.range(portBase, portBase + SEEDS).mapToObj(port -> HOST + ":" + port).toList();
    logDir = Service.projectRoot().resolve("system-tests/target/system-test-logs").resolve(testClass);
    if (test != null) {
      logDir = logDir.resolve(test);
    }
    deleteRecursively(logDir);
    Files.createDirectories(logDir);
    dbDir = Files.createTempDirectory("saga-it-");
    System.out.printf("%s: cluster %s on ports %d-%d, logs in %s%n", scope, clusterName, portBase,
        portBase + Ports.BLOCK - 1, logDir);
  }

  @Override
  public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
    failure.addSuppressed(new ProcessLogs(logDir));
    throw failure;
  }

  @Override
  public void handleBeforeAllMethodExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
    failure.addSuppressed(new ProcessLogs(logDir));
    throw failure;
  }

  @Override
  public void afterEach(ExtensionContext context) {
    if (classScoped) {
      context.getExecutionException().ifPresent(e -> System.out.println("FAILED " + context.getDisplayName()
          + ": process logs are in " + logDir));
      return;
    }
    close(context);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    close(context);
  }

  private void close(ExtensionContext context) {
    processes.forEach(process -> {
      process.destroy();
      RUNNING.remove(process);
    });
    processes.clear();
    if (observer != null) {
      try {
        observer.close();
      } catch (RuntimeException e) {
        System.out.println("observer did not leave cleanly: " + e);
      }
      observer = null;
    }
    closers.forEach(Runnable::run);
    closers.clear();
    try {
      deleteRecursively(dbDir);
    } catch (IOException e) {
      System.out.println("could not delete " + dbDir + ": " + e);
    }
    context.getExecutionException().ifPresent(e -> System.out.println("FAILED " + context.getDisplayName()
        + ": process logs are in " + logDir));
  }

  /**
   * Runs each named process on its own host, configured as on a multi-machine deployment: {@code CLUSTER_HOST} its
   * host's address, {@code CLUSTER_MEMBERS} every other host's, all on the cluster's first port. Processes of names not
   * in {@code placements} stay on 127.0.0.1.
   */
  public void placeOn(Map<String, Placement> placements) {
    this.placements = Map.copyOf(placements);
  }

  /** Runs {@code closer} after every process is gone (to drop a database, stop a server the processes used). */
  public void onClose(Runnable closer) {
    closers.add(0, closer);
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

  /**
   * Starts a process of the service on this test's cluster, with its own HTTP port and (for services) database, and
   * variables that add to or replace the defaults. {@link Topology} starts every process through here.
   */
  ServiceProcess launch(Service service, String name, Map<String, String> overrides) {
    Map<String, String> env = new HashMap<>();
    env.put("CLUSTER_NAME", clusterName);
    env.put("CLUSTER_HOST", HOST);
    env.put("CLUSTER_PORT", Integer.toString(portBase));
    env.put("CLUSTER_MEMBERS", clusterMembers());
    env.put("HTTP_PORT", Integer.toString(Ports.free()));
    // Mutual TLS as in a deployment: each process with its service's certificate of the tests' CA.
    env.putAll(TestCertificates.environment(service.serviceName()));
    if (service.hasDatabase()) {
      env.put("OPS_PORT", Integer.toString(Ports.free()));
    }
    // Services and gateway verify tokens with the tests' shared secret; the gateway issues them to TestTokens.USERS.
    env.put("JWT_SECRET", TestTokens.SECRET);
    if (service == Service.GATEWAY) {
      env.put("AUTH_USERS", TestTokens.USERS);
      env.putAll(GENEROUS_RATE_LIMITS);
    }
    if (service.hasDatabase()) {
      env.put("DB_URL", "jdbc:h2:file:" + dbDir.resolve(name).toAbsolutePath());
      env.put("DB_USER", "sa");
      env.put("DB_PASSWORD", "");
    }
    Placement placement = placements.get(name);
    if (placement != null) {
      env.put("CLUSTER_HOST", placement.host());
      env.put("CLUSTER_MEMBERS", placements.entrySet().stream().filter(other -> !other.getKey().equals(name))
          .map(other -> other.getValue().host() + ":" + portBase).sorted().collect(Collectors.joining(",")));
    }
    env.putAll(overrides);
    return run(service, name, env);
  }

  /**
   * Starts the service again exactly as {@code previous} was configured (same database, same port), with some
   * variables changed (an empty value means the default).
   */
  ServiceProcess relaunch(ServiceProcess previous, Map<String, String> changes) {
    if (previous.isAlive()) {
      throw new IllegalStateException(previous + " is still running");
    }
    Map<String, String> env = new HashMap<>(previous.environment());
    env.putAll(changes);
    return run(previous.service(), previous.name(), env);
  }

  private ServiceProcess run(Service service, String name, Map<String, String> env) {
    int start = starts.merge(name, 1, Integer::sum);
    Path log = logDir.resolve(start == 1 ? name + ".log" : name + "-" + start + ".log");
    List<String> command = new ArrayList<>();
    Optional.ofNullable(placements.get(name)).ifPresent(placement -> command.addAll(placement.commandPrefix()));
    command.add(javaCommand());
    command.addAll(ClassArchive.jvmOptions(service));
    command.addAll(List.of("-jar", service.jar().toString()));
    ProcessBuilder builder = new ProcessBuilder(command)
        .directory(logDir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile());
    builder.environment().keySet().removeIf(ProcessCluster::isConfiguration);
    builder.environment().putAll(env);
    try {
      ServiceProcess process = new ServiceProcess(service, name, env, env.getOrDefault("CLUSTER_HOST", HOST),
          Integer.parseInt(env.get("HTTP_PORT")), log, builder.start());
      processes.add(process);
      RUNNING.add(process);
      return process;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name, e);
    }
  }

  /** Every line logged so far by every process of the service started here, restarts included. */
  public List<String> logLines(Service service) {
    return processes.stream().filter(process -> process.service() == service)
        .flatMap(process -> process.logLines().stream()).toList();
  }

  /** A member of this cluster in the test JVM, joined on first use. */
  public ObserverNode observer() {
    if (observer == null) {
      observer = ObserverNode.join(new ClusterSettings(clusterName, HOST, portBase, members,
          TestCertificates.settings("operator")));
    }
    return observer;
  }

  /** A variable of the test JVM's environment that would configure a process if it leaked into it. */
  static boolean isConfiguration(String name) {
    return CONFIGURATION_PREFIXES.stream().anyMatch(name::startsWith);
  }

  static String javaCommand() {
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
