package io.github.vertxsaga.platform.testing;

import io.github.vertxsaga.platform.db.DatabaseSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * Fresh, empty databases for tests: an H2 file in a temporary folder, or a new PostgreSQL database created through
 * the server that {@code bin/test} prepared ({@code -Dtest.db.url=jdbc:postgresql://host:port/postgres},
 * {@code -Dtest.db.user}, {@code -Dtest.db.password}; the user needs CREATEDB).
 */
public final class TestDatabases {
  public enum Kind { H2, POSTGRES }

  private TestDatabases() {
  }

  /** The kinds this run tests: H2 always, PostgreSQL when bin/test pointed the build at a server. */
  public static List<Kind> available() {
    return postgresUrl() == null ? List.of(Kind.H2) : List.of(Kind.H2, Kind.POSTGRES);
  }

  /**
   * Fails when PostgreSQL was demanded ({@code -Dtest.db.required=true}, which bin/test sets) but not configured, so
   * a CI run can never pass by silently testing H2 only.
   */
  public static void assertPostgresWhenRequired() {
    if (Boolean.getBoolean("test.db.required") && postgresUrl() == null) {
      throw new IllegalStateException("test.db.required is set but test.db.url is empty: PostgreSQL tests would not run");
    }
  }

  public static DatabaseSettings fresh(Kind kind, String label) {
    String name = (label + "_" + UUID.randomUUID().toString().substring(0, 8)).toLowerCase(Locale.ROOT)
        .replaceAll("[^a-z0-9_]", "_");
    return switch (kind) {
      case H2 -> h2(name);
      case POSTGRES -> postgres(name);
    };
  }

  private static DatabaseSettings h2(String name) {
    try {
      Path dir = Files.createTempDirectory("saga-h2-");
      String url = "jdbc:h2:file:" + dir.resolve(name).toAbsolutePath();
      return new DatabaseSettings(url + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;"
          + "WRITE_DELAY=0;LOCK_TIMEOUT=10000;DB_CLOSE_ON_EXIT=FALSE", "sa", "", 8);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static DatabaseSettings postgres(String name) {
    String adminUrl = postgresUrl();
    String user = System.getProperty("test.db.user", "saga");
    String password = System.getProperty("test.db.password", "saga");
    try (Connection c = DriverManager.getConnection(adminUrl, user, password); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create test database " + name + " on " + adminUrl + ": " + e.getMessage(), e);
    }
    String url = adminUrl.substring(0, adminUrl.lastIndexOf('/') + 1) + name;
    return new DatabaseSettings(url, user, password, 8);
  }

  /**
   * Removes a database made by {@link #fresh}, once nothing uses it any more: the PostgreSQL database is dropped (even
   * if a connection lingers), the H2 files are deleted. Failures are ignored; a leftover only costs disk.
   */
  public static void drop(DatabaseSettings settings) {
    String url = settings.url();
    if (url.startsWith("jdbc:postgresql:")) {
      String name = url.substring(url.lastIndexOf('/') + 1);
      String adminUrl = postgresUrl();
      if (adminUrl == null || !name.matches("[a-z0-9_]+")) {
        return;
      }
      try (Connection c = DriverManager.getConnection(adminUrl, settings.user(), settings.password());
           Statement s = c.createStatement()) {
        s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
      } catch (SQLException e) {
        // left behind: harmless, every test makes its own
      }
    } else if (url.startsWith("jdbc:h2:file:")) {
      Path file = Path.of(url.substring("jdbc:h2:file:".length(), url.indexOf(';')));
      try (var files = Files.walk(file.getParent())) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
      } catch (java.io.IOException e) {
        // left behind in the temporary folder
      }
    }
  }

  /** The JDBC URL of the PostgreSQL maintenance database, or null when this run has none. */
  public static String postgresUrl() {
    String url = System.getProperty("test.db.url", "");
    return url.isBlank() ? null : url;
  }
}
