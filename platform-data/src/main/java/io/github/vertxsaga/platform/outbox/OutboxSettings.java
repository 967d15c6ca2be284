package io.github.vertxsaga.platform.outbox;

import io.github.vertxsaga.platform.config.Env;

/**
 * How the outbox relay delivers, how its lease is held and how long rows are kept.
 *
 * @param ackTimeoutMs      how long the relay waits for a consumer's acknowledgement ({@code OUTBOX_ACK_TIMEOUT_MS})
 * @param pollIntervalMs    fallback poll when no wake-up arrives ({@code OUTBOX_POLL_MS})
 * @param batchSize         rows read per relay pass ({@code OUTBOX_BATCH_SIZE})
 * @param maxFailures       consumer failures before an event is parked as dead-lettered ({@code OUTBOX_MAX_FAILURES})
 * @param backoffBaseMs     first retry delay; doubles per attempt, with jitter ({@code OUTBOX_BACKOFF_BASE_MS})
 * @param backoffMaxMs      retry delay cap ({@code OUTBOX_BACKOFF_MAX_MS})
 * @param retentionMs       delivered outbox rows and inbox rows older than this are purged ({@code OUTBOX_RETENTION_MS})
 * @param leaseMs           how long the active relay's lease lasts past its last renewal ({@code OUTBOX_LEASE_MS})
 * @param leaseRenewMs      how often the active relay renews its lease, and a standby tries to take it
 *                          ({@code OUTBOX_LEASE_RENEW_MS}); less than {@code leaseMs}. A standby takes over at most
 *                          {@code leaseMs + leaseRenewMs} after the active relay died
 * @param messageEvents     most events sent to one destination in one event-bus message, a batch that its consumer
 *                          applies in one transaction ({@code OUTBOX_MESSAGE_EVENTS}); 1 sends batches of one
 */
public record OutboxSettings(
    long ackTimeoutMs,
    long pollIntervalMs,
    int batchSize,
    int maxFailures,
    long backoffBaseMs,
    long backoffMaxMs,
    long retentionMs,
    long leaseMs,
    long leaseRenewMs,
    int messageEvents) {
  public static final long DEFAULT_LEASE_MS = 3_000;
  public static final long DEFAULT_LEASE_RENEW_MS = 1_000;
  /**
   * Large enough that a busy relay sends a pass's rows in a few messages, small enough that a batch's transaction
   * stays short and that the one-by-one replay after a poison event is quick.
   */
  public static final int DEFAULT_MESSAGE_EVENTS = 64;

  public OutboxSettings {
    if (leaseRenewMs >= leaseMs) {
      throw new IllegalArgumentException("OUTBOX_LEASE_RENEW_MS (" + leaseRenewMs + ") must be less than "
          + "OUTBOX_LEASE_MS (" + leaseMs + "): the lease would expire between two renewals");
    }
  }

  /** With the default lease. */
  public OutboxSettings(long ackTimeoutMs, long pollIntervalMs, int batchSize, int maxFailures, long backoffBaseMs,
                        long backoffMaxMs, long retentionMs) {
    this(ackTimeoutMs, pollIntervalMs, batchSize, maxFailures, backoffBaseMs, backoffMaxMs, retentionMs,
        DEFAULT_LEASE_MS, DEFAULT_LEASE_RENEW_MS, DEFAULT_MESSAGE_EVENTS);
  }

  public static OutboxSettings from(Env env) {
    return new OutboxSettings(
        env.longValue("OUTBOX_ACK_TIMEOUT_MS", 5_000, 100, 600_000),
        env.longValue("OUTBOX_POLL_MS", 1_000, 10, 600_000),
        env.integer("OUTBOX_BATCH_SIZE", 200, 1, 10_000),
        env.integer("OUTBOX_MAX_FAILURES", 8, 1, 1_000),
        env.longValue("OUTBOX_BACKOFF_BASE_MS", 100, 1, 600_000),
        env.longValue("OUTBOX_BACKOFF_MAX_MS", 5_000, 1, 3_600_000),
        env.longValue("OUTBOX_RETENTION_MS", 7L * 24 * 3600 * 1000, 1_000, Long.MAX_VALUE),
        env.longValue("OUTBOX_LEASE_MS", DEFAULT_LEASE_MS, 200, 600_000),
        env.longValue("OUTBOX_LEASE_RENEW_MS", DEFAULT_LEASE_RENEW_MS, 50, 300_000),
        env.integer("OUTBOX_MESSAGE_EVENTS", DEFAULT_MESSAGE_EVENTS, 1, 1_000));
  }

  /** With another lease (tests). */
  public OutboxSettings withLease(long leaseMs, long leaseRenewMs) {
    return new OutboxSettings(ackTimeoutMs, pollIntervalMs, batchSize, maxFailures, backoffBaseMs, backoffMaxMs,
        retentionMs, leaseMs, leaseRenewMs, messageEvents);
  }

  /** With another number of events per message (tests). */
  public OutboxSettings withMessageEvents(int messageEvents) {
    return new OutboxSettings(ackTimeoutMs, pollIntervalMs, batchSize, maxFailures, backoffBaseMs, backoffMaxMs,
        retentionMs, leaseMs, leaseRenewMs, messageEvents);
  }
}
