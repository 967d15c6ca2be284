package io.github.vertxsaga.platform.outbox;

import io.github.vertxsaga.events.EventEnvelope;
import io.github.vertxsaga.events.EventPayload;
import java.sql.Connection;
import java.sql.SQLException;

/** Applies one event inside the consumer's transaction; may emit events of its own. Throw to refuse it. */
@FunctionalInterface
public interface EventHandler {
  void apply(EventEnvelope envelope, EventPayload payload, Connection connection, EventSink events) throws SQLException;
}
