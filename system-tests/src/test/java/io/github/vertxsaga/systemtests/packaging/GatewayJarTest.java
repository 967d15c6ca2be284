package io.github.vertxsaga.systemtests.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The gateway has no database, so its jar carries no JDBC driver, pool or migration tool: it is built on
 * platform-edge alone. (Hazelcast ships its own shaded copies under {@code com/hazelcast/shaded}; those are Hazelcast's.)
 */
class GatewayJarTest {
  private static final List<String> DATABASE_PACKAGES = List.of("org/h2/", "org/flywaydb/", "org/postgresql/", "com/zaxxer/");

  @Test
  @DisplayName("the gateway jar holds no H2, Flyway, PostgreSQL driver or HikariCP class")
  void gatewayJarHasNoDatabaseClasses() throws IOException {
    Path jar = Path.of(System.getProperty("project.root", ".."), "gateway", "target", "gateway.jar");
    assertThat(jar).as("built by the package phase before system-tests").exists();
    try (JarFile file = new JarFile(jar.toFile())) {
      List<String> database = file.stream().map(ZipEntry::getName)
          .filter(name -> DATABASE_PACKAGES.stream().anyMatch(name::startsWith))
          .limit(5)
          .toList();
      assertThat(database).isEmpty();
      assertThat(file.getEntry("io/github/vertxsaga/platform/node/NodeLifecycle.class")).isNotNull();
    }
  }

  @Test
  @DisplayName("a service jar does carry its database stack, so the check above can tell the difference")
  void serviceJarHasDatabaseClasses() throws IOException {
    Path jar = Path.of(System.getProperty("project.root", ".."), "order-service", "target", "order-service.jar");
    try (JarFile file = new JarFile(jar.toFile())) {
      assertThat(file.stream().map(ZipEntry::getName).anyMatch(name -> name.startsWith("org/flywaydb/"))).isTrue();
    }
    assertThat(Files.exists(jar)).isTrue();
  }
}
