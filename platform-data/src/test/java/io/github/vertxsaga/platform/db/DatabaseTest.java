package io.github.vertxsaga.platform.db;

import static io.github.vertxsaga.platform.testing.Eventually.failure;
import static io.github.vertxsaga.platform.testing.Eventually.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.platform.db.DatabaseSettings;
import io.github.vertxsaga.platform.testing.TestDatabases;
import io.vertx.core.Vertx;
import java.sql.SQLException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The database's read-only work")
class DatabaseTest {
  private Vertx vertx;
  private DatabaseSettings settings;
  private Database database;

  @BeforeEach
  void open() {
    vertx = Vertx.vertx();
    settings = TestDatabases.fresh(TestDatabases.Kind.H2, "database_test");
    database = result(Database.open(vertx, settings, "database-test", "classpath:db/migration/platform"));
  }

  @AfterEach
  void close() {
    database.close();
    result(vertx.close());
    TestDatabases.drop(settings);
  }

  @Test
  @DisplayName("fails with what went wrong, even when its connection is gone by then (the server restarted)")
  void keepsTheFailureWhenTheConnectionIsGone() {
    Throwable failed = failure(database.read(connection -> {
      connection.close(); // what the pool does to a connection the server cut
      throw new SQLException("terminating connection due to administrator command", "57P01");
    }));
    assertThat(failed).isInstanceOf(SQLException.class).hasMessageContaining("administrator command");
    assertThat(((SQLException) failed).getSQLState()).isEqualTo("57P01");
  }

  @Test
  @DisplayName("answers what the work returns, and the pool's connections stay usable for writes")
  void answers() {
    Integer read = result(database.<Integer>read(connection -> 42));
    result(database.<Void>inTransaction(connection -> {
      connection.createStatement().execute("CREATE TABLE written_after_read (id INT)");
      return null;
    }));
    assertThat(read).isEqualTo(42);
  }
}
