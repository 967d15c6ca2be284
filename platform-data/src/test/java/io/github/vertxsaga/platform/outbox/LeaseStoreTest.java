package io.github.vertxsaga.platform.outbox;

import static io.github.vertxsaga.platform.testing.Eventually.result;
import static io.github.vertxsaga.platform.testing.Eventually.until;
import static io.github.vertxsaga.platform.testing.Eventually.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.vertxsaga.events.EventEnvelope;
import io.github.vertxsaga.platform.config.Env;
import io.github.vertxsaga.platform.db.SqlWork;
import io.github.vertxsaga.platform.testing.TestDatabases.Kind;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The lease's SQL on its own, against each database: what a relay can take, keep, give back and still write. */
class LeaseStoreTest extends OnEveryDatabase {
  private static final String SERVICE = OutboxBed.SERVICE;
  private static final long LONG_LEASE_MS = 60_000;

  private <T> T inTransaction(SqlWork<T> work) {
    return result(bed.database.inTransaction(work));
  }

  private boolean succeeds(SqlWork<Boolean> work) {
    return result(bed.database.inTransaction(work));
  }

  private OptionalLong acquire(String holder, long leaseMs) {
    return inTransaction(c -> LeaseStore.acquire(c, SERVICE, holder, leaseMs));
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("a lease is taken only when free, and only its holder with the current token can renew or release it")
  void onlyTheHolderKeepsTheLease(Kind kind, Vertx vertx) {
    bed = OutboxBed.open(vertx, kind, "lease-sql");

    assertThat(acquire("relay-a", LONG_LEASE_MS)).hasValue(1);
    assertThat(acquire("relay-b", LONG_LEASE_MS)).as("taken while held").isEmpty();
    assertThat(succeeds(c -> LeaseStore.renew(c, SERVICE, "relay-b", 1, LONG_LEASE_MS))).isFalse();
    assertThat(succeeds(c -> LeaseStore.renew(c, SERVICE, "relay-a", 1, LONG_LEASE_MS))).isTrue();

    OutboxBed.Lease held = bed.lease();
    long now = databaseNow();
    assertThat(held.holder()).isEqualTo("relay-a");
    assertThat(held.expiresAt()).as("expiry in the database's clock").isBetween(now, now + LONG_LEASE_MS);
    assertThat(held.acquiredAt()).isBetween(now - LONG_LEASE_MS, now);

    assertThat(succeeds(c -> LeaseStore.release(c, SERVICE, "relay-a", 1, LONG_LEASE_MS))).isTrue();
    assertThat(acquire("relay-b", LONG_LEASE_MS)).as("taken once released").hasValue(2);
    assertThat(succeeds(c -> LeaseStore.renew(c, SERVICE, "relay-a", 1, LONG_LEASE_MS)))
        .as("the old holder's renewal").isFalse();
    assertThat(succeeds(c -> LeaseStore.release(c, SERVICE, "relay-a", 1, LONG_LEASE_MS))).as("the old holder's release")
        .isFalse();
    assertThat(succeeds(c -> LeaseStore.hold(c, SERVICE, 1, LONG_LEASE_MS))).as("the old token still current").isFalse();
    assertThat(succeeds(c -> LeaseStore.hold(c, SERVICE, 2, LONG_LEASE_MS))).as("the new token current").isTrue();
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("a lease nobody renews expires by the database's clock and is taken with the next token")
  void anExpiredLeaseIsTaken(Kind kind, Vertx vertx) {
    bed = OutboxBed.open(vertx, kind, "lease-expiry");
    assertThat(acquire("relay-a", 300)).hasValue(1);

    long token = value("relay-b takes the expired lease", Duration.ofSeconds(10),
        () -> {
          OptionalLong taken = acquire("relay-b", LONG_LEASE_MS);
          return taken.isPresent() ? Optional.of(taken.getAsLong()) : Optional.empty();
        });
    assertThat(token).isEqualTo(2);
    assertThat(bed.lease().holder()).isEqualTo("relay-b");
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("rows are marked delivered under the current token only: a stale token marks nothing")
  void aStaleTokenMarksNothing(Kind kind, Vertx vertx) {
    bed = OutboxBed.open(vertx, kind, "lease-fence");
    EventEnvelope first = bed.emit("order-fenced", 1);
    EventEnvelope second = bed.emit("order-fenced", 2);
    long firstId = bed.row(first).id();
    long secondId = bed.row(second).id();
    assertThat(acquire("relay-a", LONG_LEASE_MS)).hasValue(1);
    assertThat(succeeds(c -> LeaseStore.release(c, SERVICE, "relay-a", 1, LONG_LEASE_MS))).isTrue();
    assertThat(acquire("relay-b", LONG_LEASE_MS)).hasValue(2);

    assertThat(bed.markDelivered(List.of(firstId, secondId), 1)).as("rows marked under the old token").isZero();
    assertThat(bed.row(first).delivered()).isFalse();
    assertThat(bed.markDelivered(List.of(firstId), 2)).as("rows marked under the current token").isOne();
    assertThat(bed.row(first).deliveredBy()).isEqualTo(2);
    assertThat(bed.markDelivered(List.of(firstId), 2)).as("a row marked twice").isZero();

    inTransaction(c -> {
      OutboxStore.markFailed(c, SERVICE, 1, secondId, 1, 1, 0, 0L, "recorded by a stale relay");
      return null;
    });
    assertThat(bed.row(second).dead()).as("parked by a stale relay").isFalse();
    assertThat(bed.row(second).attempts()).isZero();
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("a record under the old token and a takeover at the same moment never interleave: the takeover waits "
      + "for a record in progress, and a record that waited for a takeover records nothing")
  void recordAndTakeoverNeverInterleave(Kind kind, Vertx vertx) throws SQLException {
    bed = OutboxBed.open(vertx, kind, "lease-race");
    EventEnvelope first = bed.emit("order-race", 1);
    assertThat(acquire("relay-a", LONG_LEASE_MS)).hasValue(1);
    assertThat(succeeds(c -> LeaseStore.release(c, SERVICE, "relay-a", 1, LONG_LEASE_MS))).as("free for a takeover").isTrue();
    try (Connection record = connection()) {
      assertThat(LeaseStore.hold(record, SERVICE, 1, LONG_LEASE_MS)).isTrue();
      Future<OptionalLong> takeover = bed.database.inTransaction(
          c -> LeaseStore.acquire(c, SERVICE, "relay-b", LONG_LEASE_MS));
      awaitLockWait(kind);
      assertThat(OutboxStore.markDelivered(record, List.of(bed.row(first).id()), SERVICE, 1)).isOne();
      record.commit();
      assertThat(result(takeover)).as("the takeover that waited").hasValue(2);
    }
    EventEnvelope second = bed.emit("order-race", 2);
    assertThat(bed.markDelivered(List.of(bed.row(second).id()), 2)).isOne();
    assertThat(bed.row(first).deliveredAt()).as("the old token's record, before the new token's")
        .isLessThanOrEqualTo(bed.row(second).deliveredAt());

    EventEnvelope third = bed.emit("order-race", 3);
    long thirdId = bed.row(third).id();
    assertThat(succeeds(c -> LeaseStore.release(c, SERVICE, "relay-b", 2, LONG_LEASE_MS))).isTrue();
    try (Connection takeover = connection()) {
      assertThat(LeaseStore.acquire(takeover, SERVICE, "relay-c", LONG_LEASE_MS)).hasValue(3);
      Future<Boolean> record = bed.database.inTransaction(c -> LeaseStore.hold(c, SERVICE, 2, LONG_LEASE_MS)
          && OutboxStore.markDelivered(c, List.of(thirdId), SERVICE, 2) == 1);
      awaitLockWait(kind);
      takeover.commit();
      assertThat(result(record)).as("the record that waited recorded").isFalse();
    }
    assertThat(bed.row(third).delivered()).isFalse();
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("a relay frozen in the middle of its record holds up a takeover no longer than its lease, and its "
      + "transaction is ended (PostgreSQL; an H2 database serves one JVM, which freezes whole)")
  void frozenRecordDoesNotBlockTakeover(Kind kind, Vertx vertx) throws SQLException {
    assumeTrue(kind == Kind.POSTGRES, "two processes share a PostgreSQL database only");
    bed = OutboxBed.open(vertx, kind, "lease-frozen");
    EventEnvelope event = bed.emit("order-frozen", 1);
    long leaseMs = 1_000;
    assertThat(acquire("relay-a", leaseMs)).hasValue(1);
    try (Connection frozen = connection()) {
      long started = System.nanoTime();
      assertThat(LeaseStore.hold(frozen, SERVICE, 1, leaseMs)).isTrue(); // and then silence, as under SIGSTOP

      long token = value("relay-b takes the lease", Duration.ofSeconds(15), () -> {
        OptionalLong taken = acquire("relay-b", LONG_LEASE_MS);
        return taken.isPresent() ? Optional.of(taken.getAsLong()) : Optional.empty();
      });
      long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      System.out.printf("takeover %d ms after the holder froze holding the lease row (lease %d ms)%n", tookMs, leaseMs);
      assertThat(token).isEqualTo(2);
      assertThatThrownBy(() -> OutboxStore.markDelivered(frozen, List.of(bed.row(event).id()), SERVICE, 1))
          .as("the frozen relay's record, once it resumes").isInstanceOf(SQLException.class);
    }
    assertThat(bed.row(event).delivered()).isFalse();
  }

  /** A connection of its own with a transaction open, to hold a lock while the test starts a rival. */
  private Connection connection() throws SQLException {
    Connection c = DriverManager.getConnection(bed.settings.url(), bed.settings.user(), bed.settings.password());
    c.setAutoCommit(false);
    return c;
  }

  /** Until a transaction of this database waits for a row lock. */
  private void awaitLockWait(Kind kind) {
    String waiting = kind == Kind.H2
        ? "SELECT COUNT(*) FROM information_schema.sessions WHERE blocker_id IS NOT NULL"
        : "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'";
    until("a transaction waits for the lease row's lock", () -> result(bed.database.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(waiting); ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    })) > 0);
  }

  @Test
  @DisplayName("a lease renewed no more often than it lasts stops the start, naming both variables")
  void renewalMustBeShorterThanTheLease() {
    Env env = new Env(Map.of("OUTBOX_LEASE_MS", "1000", "OUTBOX_LEASE_RENEW_MS", "1000"));
    assertThatThrownBy(() -> OutboxSettings.from(env)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("OUTBOX_LEASE_RENEW_MS").hasMessageContaining("OUTBOX_LEASE_MS");
    OutboxSettings defaults = OutboxSettings.from(new Env(Map.of()));
    assertThat(defaults.leaseMs()).isEqualTo(3_000);
    assertThat(defaults.leaseRenewMs()).isEqualTo(1_000);
  }

  private long databaseNow() {
    return result(bed.database.read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT " + LeaseStore.NOW);
           ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }));
  }
}
