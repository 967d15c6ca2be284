package io.github.vertxsaga.systemtests.process;

import io.github.vertxsaga.platform.testing.Eventually;
import io.github.vertxsaga.platform.testing.TestCertificates;
import io.github.vertxsaga.platform.testing.TestTokens;
import io.github.vertxsaga.systemtests.Ports;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * How the test JVM starts a service jar cheaply. The processes of a test start together on a 2-core machine shared
 * with other builds, where class loading and JIT compilation of a dozen JVMs would starve them (Hazelcast drops a
 * member silent for 5 s). So every process runs with the product's JVM options (deploy/jvm.options, which every
 * launcher gives the services: heap, collector, native caps), the C1 compiler only, and a
 * class-data-sharing archive of its jar's start-up classes: the first time a process is started, each jar is started
 * once on a cluster and database of its own with {@code -XX:ArchiveClassesAtExit}, stopped with SIGTERM, and the
 * archive kept under {@code system-tests/target/cds/}, named after the jar's size and time, so a rebuilt jar gets a
 * new one (the JVM would refuse a stale one anyway). This
 * changes how fast the JVM starts, not what the service does; without an archive (training failed) it only starts
 * slower.
 */
final class ClassArchive {
  /** The product's options first; C1 only is the tests' own, for the CPU of a shared machine (it changes no limit). */
  static final List<String> JVM_OPTIONS = List.of("@" + Service.projectRoot().resolve("deploy/jvm.options"),
      "-XX:TieredStopAtLevel=1");
  private static final Map<Service, Optional<Path>> ARCHIVES = new EnumMap<>(Service.class);

  private ClassArchive() {
  }

  /**
   * The JVM options for a process of the service: the common ones, and its archive. The first call makes the
   * archives of all three jars, side by side.
   */
  static synchronized List<String> jvmOptions(Service service) {
    if (ARCHIVES.isEmpty()) {
      Map<Service, java.util.concurrent.CompletableFuture<Optional<Path>>> training = new EnumMap<>(Service.class);
      for (Service each : Service.values()) {
        training.put(each, java.util.concurrent.CompletableFuture.supplyAsync(() -> archive(each)));
      }
      training.forEach((each, archive) -> ARCHIVES.put(each, archive.join()));
    }
    List<String> options = new ArrayList<>(JVM_OPTIONS);
    ARCHIVES.get(service).ifPresent(archive -> options.add("-XX:SharedArchiveFile=" + archive));
    return options;
  }

  private static Optional<Path> archive(Service service) {
    Path archive;
    try {
      Path jar = service.jar();
      archive = Service.projectRoot().resolve("system-tests/target/cds").resolve(service.serviceName() + "-"
          + Files.size(jar) + "-" + Files.getLastModifiedTime(jar).toMillis() + "-"
          + Runtime.version().feature() + ".jsa");
      if (Files.isRegularFile(archive)) {
        return Optional.of(archive);
      }
      Files.createDirectories(archive.getParent());
    } catch (IOException | RuntimeException e) {
      return Optional.empty(); // a missing jar is reported when the process is started
    }
    long started = System.nanoTime();
    try {
      train(service, archive);
      System.out.printf("class-data archive of %s made in %d ms: %s%n", service.serviceName(),
          (System.nanoTime() - started) / 1_000_000, archive);
      return Optional.of(archive);
    } catch (Exception | AssertionError e) { // a training run that never started, too
      System.out.println("no class-data archive for " + service.serviceName() + " (it only starts slower): " + e);
      return Optional.empty();
    }
  }

  private static void train(Service service, Path archive) throws IOException, InterruptedException {
    Path work = Files.createTempDirectory("saga-cds-");
    Path partial = work.resolve("archive.jsa");
    Path log = work.resolve("training.log");
    int port = Ports.processClusterBlock();
    List<String> command = new ArrayList<>(List.of(ProcessCluster.javaCommand()));
    command.addAll(JVM_OPTIONS);
    command.addAll(List.of("-XX:ArchiveClassesAtExit=" + partial, "-jar", service.jar().toString()));
    ProcessBuilder builder = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    builder.environment().keySet().removeIf(ProcessCluster::isConfiguration);
    // With TLS on, the default, as every process of the tests runs: without its material the JVM stops at start.
    builder.environment().putAll(TestCertificates.environment(service.serviceName()));
    builder.environment().putAll(Map.of(
        "CLUSTER_NAME", "cds-training-" + ProcessHandle.current().pid() + "-" + port,
        "CLUSTER_HOST", ProcessCluster.HOST,
        "CLUSTER_PORT", Integer.toString(port),
        "CLUSTER_MEMBERS", ProcessCluster.HOST + ":" + port,
        "HTTP_PORT", Integer.toString(Ports.free()),
        "JWT_SECRET", TestTokens.SECRET,
        "DB_URL", "jdbc:h2:file:" + work.resolve("db").toAbsolutePath()));
    Process process = builder.start();
    try {
      String started = service == Service.GATEWAY ? "gateway listening on port" : " ready in ";
      Eventually.value("the training run of " + service.serviceName() + " has started", Duration.ofSeconds(120),
          ServiceProcess.PROBE_EVERY, () -> {
            String output = read(log);
            if (output.contains(started)) {
              return Optional.of(output);
            }
            if (!process.isAlive()) {
              throw new Eventually.GiveUp("the training run exited: " + output);
            }
            throw new IllegalStateException("not started yet; its output so far:\n" + output);
          });
      // SIGTERM: a normal exit, at which the JVM writes the archive (over a minute on a loaded 2-core machine).
      process.destroy();
      if (!process.waitFor(120, TimeUnit.SECONDS) || !Files.isRegularFile(partial)) {
        throw new IllegalStateException("the training run wrote no archive: " + read(log));
      }
      Files.move(partial, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      process.destroyForcibly();
      process.waitFor(15, TimeUnit.SECONDS);
      try (var files = Files.walk(work)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
      }
    }
  }

  private static String read(Path log) {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
