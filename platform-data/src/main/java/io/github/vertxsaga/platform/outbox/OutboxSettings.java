package io.github.vertxsaga.platform.outbox;

import io.github.vertxsaga.platform.config.Env;

/**
 * How the outbox relay delivers and how long rows are kept.
 *
 * @param ackTimeoutMs      how long the relay waits for a consumer's acknowledgement ({@code OUTBOX_ACK_TIMEOUT_MS})
 * @param pollIntervalMs    fallback poll when no wake-up arrives ({@code OUTBOX_POLL_MS})
 * @param batchSize         rows read per relay pass ({@code OUTBOX_BATCH_SIZE})
 * @param maxFailures       consumer failures before an event is parked as dead-lettered ({@code OUTBOX_MAX_FAILURES})
 * @param backoffBaseMs     first retry delay; doubles per attempt, with jitter ({@code OUTBOX_BACKOFF_BASE_MS})
 * @param backoffMaxMs      retry delay cap ({@code OUTBOX_BACKOFF_MAX_MS})
 * @param retentionMs       delivered outbox rows and inbox rows older than this are purged ({@code OUTBOX_RETENTION_MS})
 */
public record OutboxSettings(
    long ackTimeoutMs,
    long pollIntervalMs,
    int batchSize,
    int maxFailures,
    long backoffBaseMs,
    long backoffMaxMs,
    long retentionMs) {

  public static OutboxSettings from(Env env) {
    return new OutboxSettings(
        env.longValue("OUTBOX_ACK_TIMEOUT_MS", 5_000, 100, 600_000),
        env.longValue("OUTBOX_POLL_MS", 1_000, 10, 600_000),
        env.integer("OUTBOX_BATCH_SIZE", 200, 1, 10_000),
        env.integer("OUTBOX_MAX_FAILURES", 8, 1, 1_000),
        env.longValue("OUTBOX_BACKOFF_BASE_MS", 100, 1, 600_000),
        env.longValue("OUTBOX_BACKOFF_MAX_MS", 5_000, 1, 3_600_000),
        env.longValue("OUTBOX_RETENTION_MS", 7L * 24 * 3600 * 1000, 1_000, Long.MAX_VALUE));
  }
}
