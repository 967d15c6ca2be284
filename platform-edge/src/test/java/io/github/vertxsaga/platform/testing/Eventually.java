package io.github.vertxsaga.platform.testing;

import io.vertx.core.Future;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * How tests wait: poll a condition until it holds, within a bound, and fail naming what never happened. Never a
 * sleep standing in for "long enough". The one way every test of the project waits, in one JVM or across processes.
 *
 * <p>The default poll is short, for conditions that are cheap to check. A probe that is not (an HTTP call to a
 * process that is starting, a read of every order) passes a longer one, so that waiting does not load the machine
 * it waits on.
 */
public final class Eventually {
  public static final Duration DEFAULT_LIMIT = Duration.ofSeconds(20);
  public static final Duration DEFAULT_POLL = Duration.ofMillis(20);

  private Eventually() {
  }

  public static void until(String what, BooleanSupplier condition) {
    until(what, DEFAULT_LIMIT, condition);
  }

  public static void until(String what, Duration limit, BooleanSupplier condition) {
    until(what, limit, DEFAULT_POLL, condition);
  }

  /** As {@link #until(String, Duration, BooleanSupplier)}, checking every {@code poll}. */
  public static void until(String what, Duration limit, Duration poll, BooleanSupplier condition) {
    value(what, limit, poll, () -> condition.getAsBoolean() ? Optional.of(Boolean.TRUE) : Optional.empty());
  }

  /** Polls until the probe yields a value and returns it; a probe that throws is retried until the bound. */
  public static <T> T value(String what, Duration limit, Supplier<Optional<T>> probe) {
    return value(what, limit, DEFAULT_POLL, probe);
  }

  /**
   * As {@link #value(String, Duration, Supplier)}, probing every {@code poll}. When the bound passes, the failure
   * names what was awaited and carries the probe's last exception as its cause: a probe may throw to say what still
   * does not hold. A probe that throws {@link GiveUp} ends the wait at once.
   */
  public static <T> T value(String what, Duration limit, Duration poll, Supplier<Optional<T>> probe) {
    long deadline = System.nanoTime() + limit.toNanos();
    RuntimeException lastFailure = null;
    while (true) {
      try {
        Optional<T> value = probe.get();
        if (value.isPresent()) {
          return value.get();
        }
        lastFailure = null;
      } catch (GiveUp e) {
        throw e;
      } catch (RuntimeException e) {
        lastFailure = e; // e.g. connection refused while a process is still starting
      }
      if (System.nanoTime() > deadline) {
        AssertionError error = new AssertionError("waited " + limit.toMillis() + " ms, in vain, until " + what);
        if (lastFailure != null) {
          error.initCause(lastFailure);
        }
        throw error;
      }
      try {
        Thread.sleep(poll.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting until " + what, e);
      }
    }
  }

  /** Thrown by a probe when waiting longer is pointless (the process it waits for has exited). */
  public static final class GiveUp extends RuntimeException {
    public GiveUp(String message) {
      super(message);
    }
  }

  /** The result of a future, waiting at most {@link #DEFAULT_LIMIT}; its failure is rethrown. */
  public static <T> T result(Future<T> future) {
    try {
      return future.await(DEFAULT_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("no result within " + DEFAULT_LIMIT.toMillis() + " ms", e);
    }
  }

  /** The failure of a future that must fail, waiting at most {@link #DEFAULT_LIMIT}. */
  public static Throwable failure(Future<?> future) {
    try {
      future.transform(ar -> Future.succeededFuture(ar)).await(DEFAULT_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("no outcome within " + DEFAULT_LIMIT.toMillis() + " ms", e);
    }
    if (future.succeeded()) {
      throw new AssertionError("expected a failure, got " + future.result());
    }
    return future.cause();
  }
}
