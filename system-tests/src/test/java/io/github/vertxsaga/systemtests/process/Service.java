package io.github.vertxsaga.systemtests.process;

import java.nio.file.Files;
import java.nio.file.Path;

/** The runnable jars of the project, as {@code mvn install} leaves them at {@code <module>/target/<module>.jar}. */
public enum Service {
  INVENTORY("inventory-service", true),
  ORDER("order-service", true),
  GATEWAY("gateway", false);

  private final String module;
  private final boolean hasDatabase;

  Service(String module, boolean hasDatabase) {
    this.module = module;
    this.hasDatabase = hasDatabase;
  }

  /** The name it publishes itself under in discovery and puts in {@code X-Served-By}. */
  public String serviceName() {
    return module;
  }

  public boolean hasDatabase() {
    return hasDatabase;
  }

  public Path jar() {
    Path jar = projectRoot().resolve(module).resolve("target").resolve(module + ".jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar + " is missing: build it first (mvn -B install -DskipTests)");
    }
    return jar;
  }

  /** The repository root: {@code -Dproject.root} under Maven, else the parent of the working directory. */
  public static Path projectRoot() {
    String root = System.getProperty("project.root", "");
    if (!root.isBlank()) {
      return Path.of(root).toAbsolutePath().normalize();
    }
    Path here = Path.of("").toAbsolutePath();
    return Files.isDirectory(here.resolve("system-tests")) ? here : here.getParent();
  }
}
