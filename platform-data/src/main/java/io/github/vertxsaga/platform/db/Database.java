package io.github.vertxsaga.platform.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.vertxsaga.platform.http.Problems;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service's own database through JDBC (H2 or PostgreSQL, one SQL dialect). Every call runs on a dedicated worker
 * pool sized like the connection pool, so JDBC never blocks an event loop and never queues for a connection.
 */
public final class Database implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Database.class);

  private final HikariDataSource dataSource;
  private final WorkerExecutor workers;

  private Database(HikariDataSource dataSource, WorkerExecutor workers) {
    this.dataSource = dataSource;
    this.workers = workers;
  }

  /** Opens the pool and applies the versioned migrations found at the given classpath locations. */
  public static Future<Database> open(Vertx vertx, DatabaseSettings settings, String name, String... migrations) {
    return vertx.executeBlocking(() -> migrate(settings, name, migrations), false).map(pool -> pool.attach(vertx));
  }

  /**
   * Opens the pool and applies the migrations on the calling thread, which it blocks for as long as they take (seconds
   * at a first start): for a service's start-up, which runs it on a thread of its own while the node joins the
   * cluster, since neither needs the other.
   */
  public static Migrated migrate(DatabaseSettings settings, String name, String... migrations) {
    HikariConfig config = new HikariConfig();
    config.setPoolName("db-" + name);
    config.setJdbcUrl(settings.url());
    config.setUsername(settings.user());
    config.setPassword(settings.password());
    config.setMaximumPoolSize(settings.poolSize());
    config.setMinimumIdle(Math.min(2, settings.poolSize()));
    // The workers are as many as the connections, so a caller waits for a connection only while the pool has none
    // (the database is down, or just back): it is answered "unavailable" (a 503, an event sent again) after 2 s
    // rather than HikariCP's 30 s, inside the relay's acknowledgement time-out. (How soon the pool connects again
    // after failed attempts is HikariCP's own: a backoff that doubles up to 5 s, which no setting changes.)
    config.setConnectionTimeout(2_000);
    config.setValidationTimeout(2_000);
    if (!settings.isH2()) {
      DatabaseSettings.POSTGRES_PROPERTIES.forEach(config::addDataSourceProperty);
    }
    // Fail start-up fast with a clear error when the database is unreachable.
    config.setInitializationFailTimeout(10_000);
    HikariDataSource dataSource = new HikariDataSource(config);
    try {
      var result = Flyway.configure().dataSource(dataSource).locations(migrations).load().migrate();
      log.info("database ready url={} migrations_applied={} schema_version={}", settings.url(),
          result.migrationsExecuted, result.targetSchemaVersion);
    } catch (RuntimeException e) {
      dataSource.close();
      throw e;
    }
    return new Migrated(dataSource, name, settings.poolSize());
  }

  /** A pool whose schema is up to date, not yet given the worker threads that will use it. */
  public static final class Migrated implements AutoCloseable {
    private final HikariDataSource dataSource;
    private final String name;
    private final int poolSize;

    private Migrated(HikariDataSource dataSource, String name, int poolSize) {
      this.dataSource = dataSource;
      this.name = name;
      this.poolSize = poolSize;
    }

    /** The database, with a worker pool of this Vert.x sized like the connection pool. */
    public Database attach(Vertx vertx) {
      return new Database(dataSource, vertx.createSharedWorkerExecutor("db-" + name, poolSize, 60, TimeUnit.SECONDS));
    }

    @Override
    public void close() {
      dataSource.close();
    }
  }

  /** Runs {@code work} in one transaction: committed when it returns, rolled back when it throws. */
  public <T> Future<T> inTransaction(SqlWork<T> work) {
    return workers.executeBlocking(() -> {
      try (Connection connection = dataSource.getConnection()) {
        try {
          connection.setAutoCommit(false);
          try {
            T result = work.apply(connection);
            connection.commit();
            return result;
          } catch (Throwable e) {
            rollbackQuietly(connection, e);
            throw e;
          }
        } catch (Throwable e) {
          evictIfBroken(connection, e);
          throw e;
        }
      }
    }, false);
  }

  /** Runs read-only work with auto-commit. */
  public <T> Future<T> read(SqlWork<T> work) {
    return workers.executeBlocking(() -> {
      try (Connection connection = dataSource.getConnection()) {
        try {
          connection.setReadOnly(true);
          T result;
          try {
            result = work.apply(connection);
          } catch (Throwable e) {
            // The connection may be gone (the server restarted): resetting it then fails too, and must not replace
            // the failure that says why (the pool resets a connection's read-only flag when it takes it back anyway).
            resetQuietly(connection, e);
            throw e;
          }
          connection.setReadOnly(false);
          return result;
        } catch (Throwable e) {
          evictIfBroken(connection, e);
          throw e;
        }
      }
    }, false);
  }

  /**
   * HikariCP retires a connection that failed with a connection error of SQL state class 08 (what PostgreSQL's
   * driver reports), but not one that failed with H2's "connection broken" or "database closed": handed out again
   * within half a second of its last use it is not even validated, so a service on an H2 server that came back kept
   * failing on its dead connections for as long as it kept trying. A connection that failed because the database
   * could not be reached is retired here, whatever the database.
   */
  private void evictIfBroken(Connection connection, Throwable failure) {
    if (Problems.isDatabaseUnavailable(failure)) {
      dataSource.evictConnection(connection);
    }
  }

  private static void resetQuietly(Connection connection, Throwable cause) {
    try {
      connection.setReadOnly(false);
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }

  private static void rollbackQuietly(Connection connection, Throwable cause) {
    try {
      connection.rollback();
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }

  @Override
  public void close() {
    dataSource.close();
    workers.close();
  }
}
