package io.github.vertxsaga.systemtests.process;

import io.github.vertxsaga.systemtests.Http;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * What stands in front of several gateways, as a load balancer that health-checks them would: clients alternate
 * between them, and a gateway whose {@code /ready} did not answer 200 at the last check (it is draining before it
 * stops, or gone) gets no new requests until it does again. One gateway needs no balancer, and gets no checks.
 */
final class GatewayBalancer implements AutoCloseable {
  private static final Duration CHECK_EVERY = Duration.ofMillis(100);
  private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(1);

  private final Supplier<List<ServiceProcess>> gateways;
  private final Map<String, Boolean> ready = new ConcurrentHashMap<>();
  private final AtomicInteger next = new AtomicInteger();
  private final ScheduledExecutorService checks = Executors.newSingleThreadScheduledExecutor(runnable -> {
    Thread thread = new Thread(runnable, "gateway-health-check");
    thread.setDaemon(true);
    return thread;
  });

  /** Balances over what {@code gateways} yields at each request: a restarted gateway replaces its former self. */
  GatewayBalancer(Supplier<List<ServiceProcess>> gateways) {
    this.gateways = gateways;
    if (gateways.get().size() > 1) {
      checks.scheduleWithFixedDelay(this::checkAll, 0, CHECK_EVERY.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  private void checkAll() {
    for (ServiceProcess gateway : gateways.get()) {
      boolean answered;
      try {
        answered = gateway.isAlive()
            && Http.anonymous().timeout(CHECK_TIMEOUT).get(gateway.uri("/ready")).status() == 200;
      } catch (RuntimeException e) {
        answered = false;
      }
      ready.put(key(gateway), answered);
    }
  }

  /** The next gateway in turn that passed its last check (any, before the first check or if none passed). */
  ServiceProcess next() {
    List<ServiceProcess> current = gateways.get();
    if (current.isEmpty()) {
      throw new IllegalStateException("this topology has no gateway");
    }
    List<ServiceProcess> healthy = current.stream().filter(gateway -> ready.getOrDefault(key(gateway), false)).toList();
    List<ServiceProcess> choice = healthy.isEmpty() ? current : healthy;
    return choice.get(Math.floorMod(next.getAndIncrement(), choice.size()));
  }

  private static String key(ServiceProcess gateway) {
    return gateway.name() + "/" + gateway.pid();
  }

  @Override
  public void close() {
    checks.shutdownNow();
  }
}
