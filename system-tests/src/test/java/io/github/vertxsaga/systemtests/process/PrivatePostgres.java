package io.github.vertxsaga.systemtests.process;

import io.github.vertxsaga.platform.db.DatabaseSettings;
import io.github.vertxsaga.systemtests.Ports;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL server of the test's own, made with the local installation's {@code initdb} in a temporary folder, on a
 * free port of 127.0.0.1, trusting local connections for the role {@code saga}: a scenario may restart it under load
 * without disturbing anyone else who uses the machine's shared server (as {@code pg_ctlcluster 15 main restart}
 * would: every other build's database connections would break). Run as root, the server runs as the {@code postgres}
 * OS user, as PostgreSQL refuses root.
 */
public final class PrivatePostgres implements AutoCloseable {
  public static final String USER = "saga";

  private final Path bin;
  private final Path dir;
  private final int port;
  private final List<String> commandPrefix;
  private final String host;

  private PrivatePostgres(Path bin, Path dir, int port, List<String> commandPrefix, String host) {
    this.bin = bin;
    this.dir = dir;
    this.port = port;
    this.commandPrefix = List.copyOf(commandPrefix);
    this.host = host;
  }

  /** The newest local installation's programs (Debian: /usr/lib/postgresql/N/bin), if there is one. */
  public static Optional<Path> installation() {
    Path root = Path.of("/usr/lib/postgresql");
    if (!Files.isDirectory(root)) {
      return Optional.empty();
    }
    try (Stream<Path> versions = Files.list(root)) {
      return versions.map(version -> version.resolve("bin"))
          .filter(bin -> Files.isExecutable(bin.resolve("pg_ctl")) && Files.isExecutable(bin.resolve("initdb")))
          .max(Comparator.comparing(bin -> versionOf(bin.getParent())));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static int versionOf(Path dir) {
    try {
      return Integer.parseInt(dir.getFileName().toString());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** Creates and starts a new server on 127.0.0.1. */
  public static PrivatePostgres start(Path bin) {
    return start(bin, List.of(), "127.0.0.1", null);
  }

  /**
   * Creates and starts a new server on a host of its own: run through {@code commandPrefix} (say
   * {@code ip netns exec <namespace>}), listening on {@code host}, and trusting the role {@code saga} from
   * {@code trustedNetwork} (a CIDR) too.
   */
  public static PrivatePostgres start(Path bin, List<String> commandPrefix, String host, String trustedNetwork) {
    try {
      Path dir = Files.createTempDirectory("saga-pg-");
      if (isRoot()) {
        run(List.of("chown", "postgres:postgres", dir.toString()), Duration.ofSeconds(10));
      }
      PrivatePostgres server = new PrivatePostgres(bin, dir, Ports.free(), commandPrefix, host);
      server.pg(List.of(bin.resolve("initdb").toString(), "-D", server.data().toString(), "-U", USER,
          "--auth=trust", "-E", "UTF8", "--no-instructions"), Duration.ofSeconds(120));
      if (trustedNetwork != null) {
        Files.writeString(server.data().resolve("pg_hba.conf"), "host all " + USER + " " + trustedNetwork
            + " trust\n", StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
      }
      server.pgCtl("start");
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int port() {
    return port;
  }

  /** A new, empty database on this server. */
  public DatabaseSettings createDatabase(String name) {
    try (Connection c = DriverManager.getConnection(url("postgres"), USER, "");
         Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create database " + name + ": " + e.getMessage(), e);
    }
    return new DatabaseSettings(url(name), USER, "", DatabaseSettings.DEFAULT_POOL_SIZE);
  }

  private String url(String database) {
    return "jdbc:postgresql://" + host + ":" + port + "/" + database;
  }

  /** {@code pg_ctl restart -m fast}, what {@code pg_ctlcluster ... restart} does: every connection is cut. */
  public Duration restart() {
    long started = System.nanoTime();
    pgCtl("restart");
    return Duration.ofNanos(System.nanoTime() - started);
  }

  private Path data() {
    return dir.resolve("data");
  }

  private void pgCtl(String action) {
    pg(List.of(bin.resolve("pg_ctl").toString(), "-D", data().toString(), "-l", dir.resolve("server.log").toString(),
        "-m", "fast", "-w", "-t", "60", "-o", "-p " + port + " -k " + dir + " -c listen_addresses=" + host, action),
        Duration.ofSeconds(90));
  }

  /** Runs a PostgreSQL program, as the postgres OS user when this JVM runs as root. */
  private void pg(List<String> command, Duration limit) {
    List<String> full = new ArrayList<>(commandPrefix);
    if (isRoot()) {
      full.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    full.addAll(command);
    run(full, limit);
  }

  private static void run(List<String> command, Duration limit) {
    try {
      Process process = new ProcessBuilder(command).directory(Path.of("/tmp").toFile()).redirectErrorStream(true)
          .start();
      String output;
      if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException(String.join(" ", command) + " did not finish within " + limit);
      }
      output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (process.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", command) + " failed with " + process.exitValue() + ":\n"
            + output);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  /** The server's own log, for a failure report. */
  public String log() {
    try {
      return Files.readString(dir.resolve("server.log"));
    } catch (IOException e) {
      return "(no server log: " + e + ")";
    }
  }

  /** Stops the server at once and deletes its files. */
  @Override
  public void close() {
    try {
      pg(List.of(bin.resolve("pg_ctl").toString(), "-D", data().toString(), "-m", "immediate", "-w", "stop"),
          Duration.ofSeconds(60));
    } catch (RuntimeException e) {
      System.out.println("private PostgreSQL did not stop cleanly: " + e.getMessage());
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      System.out.println("could not delete " + dir + ": " + e);
    }
  }
}
