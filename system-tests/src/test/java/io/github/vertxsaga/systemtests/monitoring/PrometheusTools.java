package io.github.vertxsaga.systemtests.monitoring;

import io.github.vertxsaga.systemtests.process.Service;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The monitoring files of the repository and the Prometheus binaries that check them. Without the binaries a test
 * cannot say anything: it is skipped on a developer's machine, but fails under {@code -Dtest.db.required=true}
 * (bin/test, CI), where bin/test has installed them, so a missing tool never passes for a green run.
 */
final class PrometheusTools {
  private static final String INSTALL = "Debian's prometheus package provides it (apt-get install prometheus; "
      + "bin/test installs it when run as root)";

  private PrometheusTools() {
  }

  static Path folder() {
    return Service.projectRoot().resolve("deploy/prometheus");
  }

  static Path rules() {
    return folder().resolve("alerts.yml");
  }

  static Path ruleTests() {
    return folder().resolve("alerts.test.yml");
  }

  static Path config() {
    return folder().resolve("prometheus.yml");
  }

  /** The binary on the PATH; a skip, or under test.db.required a failure, when it is not there. */
  static Path require(String binary) {
    Optional<Path> found = onPath(binary);
    if (found.isEmpty()) {
      String missing = binary + " is not on the PATH; " + INSTALL;
      if (Boolean.getBoolean("test.db.required")) {
        Assertions.fail(missing + ". test.db.required is set (bin/test, CI): this test may not be skipped");
      }
      Assumptions.abort("skipped: " + missing);
    }
    return found.get();
  }

  private static Optional<Path> onPath(String binary) {
    return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
        .filter(dir -> !dir.isBlank())
        .map(dir -> Path.of(dir, binary))
        .filter(Files::isExecutable)
        .findFirst();
  }

  /** What a command printed (stdout and stderr) and how it exited. */
  record Run(int exitCode, String output) {
  }

  /** Runs a command in {@code directory}, at most a minute. */
  static Run run(Path directory, String... command) {
    try {
      Process process = new ProcessBuilder(List.of(command)).directory(directory.toFile())
          .redirectErrorStream(true).start();
      List<String> lines = new ArrayList<>();
      Thread reader = new Thread(() -> process.inputReader(StandardCharsets.UTF_8).lines().forEach(lines::add),
          "read-" + Path.of(command[0]).getFileName());
      reader.start();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        Assertions.fail(String.join(" ", command) + " did not finish within 60 s");
      }
      reader.join(TimeUnit.SECONDS.toMillis(10));
      return new Run(process.exitValue(), String.join("\n", lines));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
