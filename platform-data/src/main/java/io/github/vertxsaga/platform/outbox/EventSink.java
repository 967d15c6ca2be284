package io.github.vertxsaga.platform.outbox;

import io.github.vertxsaga.events.EventEnvelope;
import io.github.vertxsaga.events.EventPayload;
import java.sql.SQLException;

/** Where a transaction emits its events: they are written to the outbox in that same transaction. */
public interface EventSink {
  /**
   * @param sequence the aggregate's version after this change, increasing per aggregate
   */
  EventEnvelope emit(EventPayload payload, long sequence) throws SQLException;
}
