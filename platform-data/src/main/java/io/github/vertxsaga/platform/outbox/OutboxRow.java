package io.github.vertxsaga.platform.outbox;

/** An undelivered outbox row as the relay sees it. */
record OutboxRow(long id, String aggregateId, String destination, String envelope, int attempts, int failures,
                 long nextAttemptAt) {
}
