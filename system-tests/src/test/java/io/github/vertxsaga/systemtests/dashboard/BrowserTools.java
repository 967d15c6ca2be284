package io.github.vertxsaga.systemtests.dashboard;

import io.github.vertxsaga.systemtests.process.Service;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * What the browser test needs besides the system: Debian's Chromium, Node.js, and playwright-core installed from the
 * pinned package-lock.json beside the script. Without them the test is skipped on a developer's machine, but fails
 * under {@code -Dtest.db.required=true} (bin/test, CI), where bin/test has installed them.
 */
final class BrowserTools {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final String INSTALL = "bin/test installs them when run as root: apt-get install chromium nodejs npm, "
      + "and npm ci in system-tests/src/test/browser";

  private BrowserTools() {
  }

  static Path scripts() {
    return Service.projectRoot().resolve("system-tests/src/test/browser");
  }

  /** The node binary; a skip, or under test.db.required a failure, when anything is missing. */
  static Path require() {
    List<String> missing = new ArrayList<>();
    if (!Files.isExecutable(CHROMIUM)) {
      missing.add(CHROMIUM + " (Debian's chromium)");
    }
    Path node = Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
        .filter(dir -> !dir.isBlank()).map(dir -> Path.of(dir, "node")).filter(Files::isExecutable)
        .findFirst().orElse(null);
    if (node == null) {
      missing.add("node on the PATH");
    }
    if (!Files.isDirectory(scripts().resolve("node_modules/playwright-core"))) {
      missing.add("playwright-core in " + scripts().resolve("node_modules"));
    }
    if (!missing.isEmpty()) {
      String message = "missing " + String.join(", ", missing) + "; " + INSTALL;
      if (Boolean.getBoolean("test.db.required")) {
        Assertions.fail(message + ". test.db.required is set (bin/test, CI): this test may not be skipped");
      }
      Assumptions.abort("skipped: " + message);
    }
    return node;
  }
}
