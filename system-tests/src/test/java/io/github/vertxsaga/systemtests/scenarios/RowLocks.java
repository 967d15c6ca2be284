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
 */
final class RowLocks implements Scenarios.Stall {
  private final DatabaseSettings database;
  private final List<String> skus;
  private Connection connection;

  RowLocks(DatabaseSettings database, List<String> skus) {
    this.database = database;
    this.skus = List.copyOf(skus);
  }

  @Override
  public void begin() {
    try {
      connection = DriverManager.getConnection(database.url(), database.user(), database.password());
      connection.setAutoCommit(false);
      String marks = String.join(",", skus.stream().map(sku -> "?").toList());
      try (PreparedStatement lock = connection.prepareStatement(
          "SELECT sku FROM inventory_items WHERE sku IN (" + marks + ") FOR UPDATE")) {
        for (int i = 0; i < skus.size(); i++) {
          lock.setString(i + 1, skus.get(i));
        }
        lock.executeQuery().close();
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot lock the stock rows of " + skus + ": " + e, e);
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
}
