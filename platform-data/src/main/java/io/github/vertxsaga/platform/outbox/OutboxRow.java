package io.github.vertxsaga.platform.outbox;

import io.github.vertxsaga.platform.tracing.W3cTraceContext;

/** An undelivered outbox row as the relay sees it, with the trace context of the transaction that wrote it. */
record OutboxRow(long id, String aggregateId, String destination, String envelope, int attempts, int failures,
                 long nextAttemptAt, W3cTraceContext writtenIn) {
}
