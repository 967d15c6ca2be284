package io.github.vertxsaga.systemtests.scenarios;

import io.github.vertxsaga.platform.db.DatabaseSettings;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;

/**
 * A stalled database: a transaction of the test's own that holds the stock rows of some SKUs locked
 * ({@code SELECT ... FOR UPDATE}), so every reservation of those SKUs waits in the middle of its transaction until
 * {@link #end()} rolls it back. Only to create the fault; the scenario still judges the system through its API.
 *
 * <p>It is taken while reservations run. inventory-service applies a batch of several orders in one transaction, each
 * order's rows in SKU order but the batch's rows not, so the lock can meet such a transaction in a cycle and
 * PostgreSQL ends one of the two with a deadlock. When ours is the one ended, nothing is held and it is taken again.
 */
final class RowLocks implements Scenarios.Stall, AutoCloseable {
  private static final String DEADLOCK_DETECTED = "40P01";
  private static final int ATTEMPTS = 10;

  private final DatabaseSettings database;
  private final List<String> skus;
  private Connection connection;

  RowLocks(DatabaseSettings database, List<String> skus) {
    this.database = database;
    this.skus = List.copyOf(skus);
  }

  /** Locks the rows now, for a try-with-resources block. */
  static RowLocks take(DatabaseSettings database, List<String> skus) {
    RowLocks locks = new RowLocks(database, skus);
    locks.begin();
    return locks;
  }

  @Override
  public void begin() {
    for (int attempt = 1; ; attempt++) {
      try {
        connection = lock();
        return;
      } catch (SQLException e) {
        if (!DEADLOCK_DETECTED.equals(e.getSQLState()) || attempt == ATTEMPTS) {
          throw new IllegalStateException("cannot lock the stock rows of " + skus + " (attempt " + attempt + "): "
              + e, e);
        }
      }
    }
  }

  private Connection lock() throws SQLException {
    Connection locking = DriverManager.getConnection(database.url(), database.user(), database.password());
    try {
      locking.setAutoCommit(false);
      String marks = String.join(",", skus.stream().map(sku -> "?").toList());
      try (PreparedStatement lock = locking.prepareStatement(
          "SELECT sku FROM inventory_items WHERE sku IN (" + marks + ") ORDER BY sku FOR UPDATE")) {
        for (int i = 0; i < skus.size(); i++) {
          lock.setString(i + 1, skus.get(i));
        }
        lock.executeQuery().close();
      }
      return locking;
    } catch (SQLException e) {
      try (locking) {
        locking.rollback();
      } catch (SQLException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  @Override
  public void end() {
    if (connection == null) {
      return;
    }
    try (Connection held = connection) {
      held.rollback();
    } catch (SQLException e) {
      throw new IllegalStateException("cannot release the stock rows of " + skus + ": " + e, e);
    } finally {
      connection = null;
    }
  }

  @Override
  public void close() {
    end();
  }
}
