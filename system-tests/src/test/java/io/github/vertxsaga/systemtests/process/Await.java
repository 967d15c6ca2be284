package io.github.vertxsaga.systemtests.process;

import java.time.Duration;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Time-bounded polling of a condition: the only way these tests wait for something to happen. */
public final class Await {
  public static final Duration DEFAULT_POLL = Duration.ofMillis(100);

  private Await() {
  }

  /** Polls until the condition holds; fails naming what was awaited when {@code limit} passes first. */
  public static void until(String what, Duration limit, BooleanSupplier condition) {
    until(what, limit, DEFAULT_POLL, condition);
  }

  /** As {@link #until(String, Duration, BooleanSupplier)}, polling every {@code poll} (to time an event closely). */
  public static void until(String what, Duration limit, Duration poll, BooleanSupplier condition) {
    value(what, limit, poll, () -> condition.getAsBoolean() ? Optional.of(Boolean.TRUE) : Optional.empty());
  }

  /** Polls every {@code poll} until the supplier yields a value, and returns it. */
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
        AssertionError error = new AssertionError("timed out after " + limit.toMillis() + " ms waiting until " + what);
        if (lastFailure != null) {
          error.initCause(lastFailure);
        }
        throw error;
      }
      pause(poll);
    }
  }

  /** Thrown by a probe when waiting longer is pointless (the process it waits for has exited). */
  public static final class GiveUp extends RuntimeException {
    public GiveUp(String message) {
      super(message);
    }
  }

  private static void pause(Duration poll) {
    try {
      Thread.sleep(poll.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting", e);
    }
  }
}
