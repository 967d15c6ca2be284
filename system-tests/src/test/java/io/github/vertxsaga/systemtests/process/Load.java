package io.github.vertxsaga.systemtests.process;

import io.github.vertxsaga.systemtests.User;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Orders placed by several client threads through the gateways, in the background, bounded in count and in time:
 * it stops by itself after {@link Plan#orders()} orders or {@link Plan#limit()}, whichever comes first, or when told
 * to. Customers alternate; some orders are read back, some cancelled. Everything goes through a {@link Shop}, so the
 * ledger knows every answer.
 */
public final class Load implements AutoCloseable {
  /**
   * @param clients       client threads
   * @param orders        orders to place at most, over all clients
   * @param limit         time to run at most
   * @param perSecond     orders per second over all clients at most (0: as fast as they are answered)
   * @param skus          SKUs to order from, one line of 1 to {@code maxQuantity} units each
   * @param cancelShare   share of accepted orders cancelled right after their 202
   * @param readShare     share of accepted orders read back right after their 202
   */
  public record Plan(int clients, int orders, Duration limit, int perSecond, List<String> skus, int maxQuantity,
                     double cancelShare, double readShare) {
    public static Plan of(int clients, int orders, Duration limit, List<String> skus) {
      return new Plan(clients, orders, limit, 0, skus, 3, 0.1, 0.2);
    }

    public Plan paced(int ordersPerSecond) {
      return new Plan(clients, orders, limit, ordersPerSecond, skus, maxQuantity, cancelShare, readShare);
    }
  }

  private static final User[] CUSTOMERS = {User.ALICE, User.BOB};

  private final Shop shop;
  private final Plan plan;
  private final AtomicBoolean stop = new AtomicBoolean();
  private final AtomicInteger placed = new AtomicInteger();
  private final AtomicInteger accepted = new AtomicInteger();
  private final ExecutorService clients;
  private final List<Future<?>> running = new ArrayList<>();
  private final long started = System.nanoTime();
  private final java.util.concurrent.atomic.AtomicLong finished = new java.util.concurrent.atomic.AtomicLong();

  private Load(Shop shop, Plan plan) {
    this.shop = shop;
    this.plan = plan;
    this.clients = Executors.newFixedThreadPool(plan.clients(), runnable -> {
      Thread thread = new Thread(runnable, "load-client");
      thread.setDaemon(true);
      return thread;
    });
  }

  public static Load start(Shop shop, Plan plan) {
    Load load = new Load(shop, plan);
    for (int i = 0; i < plan.clients(); i++) {
      int client = i;
      load.running.add(load.clients.submit(() -> load.client(client)));
    }
    return load;
  }

  private void client(int client) {
    long deadline = started + plan.limit().toNanos();
    long intervalNanos = plan.perSecond() == 0 ? 0 : TimeUnit.SECONDS.toNanos(plan.clients()) / plan.perSecond();
    long next = System.nanoTime() + (intervalNanos == 0 ? 0 : intervalNanos * client / plan.clients());
    ThreadLocalRandom random = ThreadLocalRandom.current();
    while (!stop.get() && System.nanoTime() < deadline && placed.getAndIncrement() < plan.orders()) {
      if (intervalNanos > 0) {
        long wait = next - System.nanoTime();
        if (wait > 0) {
          sleepNanos(wait);
        }
        next += intervalNanos;
      }
      User customer = CUSTOMERS[random.nextInt(CUSTOMERS.length)];
      String sku = plan.skus().get(random.nextInt(plan.skus().size()));
      Shop.Answer answer = shop.order(customer, Shop.line(sku, 1 + random.nextInt(plan.maxQuantity())));
      if (answer.status() != 202) {
        continue;
      }
      accepted.incrementAndGet();
      if (random.nextDouble() < plan.readShare()) {
        shop.get(customer, "/api/orders/" + answer.orderId());
      }
      if (random.nextDouble() < plan.cancelShare()) {
        shop.cancel(customer, answer.orderId());
      }
    }
    finished.accumulateAndGet(System.nanoTime(), Math::max);
  }

  /** Orders that got a 202 so far. */
  public int accepted() {
    return accepted.get();
  }

  /** Asks the clients to stop after their current request. */
  public void stop() {
    stop.set(true);
  }

  /** Waits until every client stopped (by its bounds, or after {@link #stop()}); returns how long the load ran. */
  public Duration await(Duration limit) {
    long deadline = System.nanoTime() + limit.toNanos();
    for (Future<?> client : running) {
      try {
        client.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        stop();
        throw new AssertionError("load clients still running after " + limit.toMillis() + " ms");
      } catch (Exception e) {
        throw new AssertionError("a load client failed: " + e, e);
      }
    }
    clients.shutdown();
    return Duration.ofNanos(finished.get() - started);
  }

  @Override
  public void close() {
    stop();
    clients.shutdownNow();
  }

  private static void sleepNanos(long nanos) {
    try {
      TimeUnit.NANOSECONDS.sleep(nanos);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
