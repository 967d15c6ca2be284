package io.github.vertxsaga.platform.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

@DisplayName("Database failures that mean 'try again'")
class ProblemsTest {
  @ParameterizedTest(name = "SQL state {0}: unavailable = {1}")
  @CsvSource({
      "08006, true",  // connection failure
      "08003, true",  // connection does not exist
      "57P01, true",  // terminating connection due to administrator command (server restart)
      "57P02, true",  // crash shutdown
      "57P03, true",  // the database system is starting up
      "90067, true",  // H2: the connection to its server is broken
      "90121, true",  // H2: the database is closed (its server stopped, or the JVM is shutting down)
      "57P04, false", // database dropped: not coming back
      "23505, false", // unique violation: a real answer
      "40001, false"})
  @DisplayName("are recognised by their SQL state")
  void bySqlState(String state, boolean unavailable) {
    assertThat(Problems.isDatabaseUnavailable(new SQLException("x", state))).isEqualTo(unavailable);
    assertThat(Problems.isDatabaseUnavailable(new IllegalStateException("wrapped", new SQLException("x", state))))
        .isEqualTo(unavailable);
  }

  @Test
  @DisplayName("include a pool that hands out no connection in time, and not a failure without a state")
  void poolTimeoutAndStatelessFailures() {
    assertThat(Problems.isDatabaseUnavailable(new SQLTransientConnectionException("pool timeout"))).isTrue();
    assertThat(Problems.isDatabaseUnavailable(new SQLException("no state"))).isFalse();
  }

  @ParameterizedTest(name = "SQL state {0}: conflict = {1}")
  @CsvSource({
      "40001, true",  // serialization failure; also H2's deadlock
      "40P01, true",  // PostgreSQL: deadlock detected
      "55P03, true",  // PostgreSQL: lock not available (lock_timeout)
      "HYT00, true",  // H2: timeout trying to lock a table row
      "23505, false", // unique violation: a real answer
      "08006, false"}) // connection failure: unavailable, not a conflict
  @DisplayName("a transaction that lost to a concurrent one is recognised by its SQL state")
  void conflictsBySqlState(String state, boolean conflict) {
    assertThat(Problems.isTransactionConflict(new SQLException("x", state))).isEqualTo(conflict);
    assertThat(Problems.isTransactionConflict(new IllegalStateException("wrapped", new SQLException("x", state))))
        .isEqualTo(conflict);
  }
}
