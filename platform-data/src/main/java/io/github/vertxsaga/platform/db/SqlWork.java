package io.github.vertxsaga.platform.db;

import java.sql.Connection;
import java.sql.SQLException;

/** Blocking JDBC work; always run on a worker thread by {@link Database}. */
@FunctionalInterface
public interface SqlWork<T> {
  T apply(Connection connection) throws SQLException;
}
