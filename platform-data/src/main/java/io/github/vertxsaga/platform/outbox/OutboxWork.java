package io.github.vertxsaga.platform.outbox;

import java.sql.Connection;
import java.sql.SQLException;

/** A state change that may emit events, run in one local transaction. */
@FunctionalInterface
public interface OutboxWork<T> {
  T apply(Connection connection, EventSink events) throws SQLException;
}
