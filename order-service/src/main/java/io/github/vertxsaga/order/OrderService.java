package io.github.vertxsaga.order;

import io.github.vertxsaga.events.Addresses;
import io.github.vertxsaga.events.ServiceNames;
import io.github.vertxsaga.platform.service.ServiceHost;
import io.github.vertxsaga.platform.config.Env;
import io.github.vertxsaga.platform.service.ServiceSettings;
import io.github.vertxsaga.platform.http.Json;
import io.github.vertxsaga.platform.outbox.EventHandler;
import io.vertx.core.Deployable;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.util.List;
import java.util.Map;

/** order-service: places orders and follows them to CONFIRMED, REJECTED or, through CANCELLING, CANCELLED. */
public final class OrderService implements ServiceHost.Module {

  /**
   * The whole configuration of this service, read once from the environment.
   *
   * @param pendingDeadlineMs          PENDING orders older than this are reported ({@code ORDER_PENDING_DEADLINE_MS})
   * @param idempotencyPurgeIntervalMs how often expired idempotency keys are deleted
   *                                   ({@code ORDER_IDEMPOTENCY_PURGE_MS})
   * @param maxPending                 PENDING orders past which new ones are refused, 0 for no bound
   *                                   ({@code ORDER_MAX_PENDING})
   * @param maxPendingAgeMs            age of the oldest PENDING order past which new ones are refused, 0 for no bound
   *                                   ({@code ORDER_MAX_PENDING_AGE_MS})
   */
  public record Settings(ServiceSettings common, long pendingDeadlineMs, long idempotencyPurgeIntervalMs,
                         long maxPending, long maxPendingAgeMs) {
    public static final long DEFAULT_PENDING_DEADLINE_MS = 30_000;
    public static final long DEFAULT_IDEMPOTENCY_PURGE_MS = 600_000;
    /** Two to four seconds of the saga's peak on a small machine (about 500 orders/s on PostgreSQL, 250 on H2). */
    public static final long DEFAULT_MAX_PENDING = 1_000;
    /** Off: one order stuck PENDING (its event dead-lettered) would otherwise refuse every order after it. */
    public static final long DEFAULT_MAX_PENDING_AGE_MS = 0;

    /** With the defaults but the deadline, for those that start the service in their own JVM and set that only. */
    public Settings(ServiceSettings common, long pendingDeadlineMs) {
      this(common, pendingDeadlineMs, DEFAULT_IDEMPOTENCY_PURGE_MS, DEFAULT_MAX_PENDING, DEFAULT_MAX_PENDING_AGE_MS);
    }

    public static Settings from(Map<String, String> environment) {
      Env env = new Env(environment);
      long maxAge = env.longValue("ORDER_MAX_PENDING_AGE_MS", DEFAULT_MAX_PENDING_AGE_MS, 0, 86_400_000);
      if (maxAge > 0 && maxAge < 1_000) {
        throw new IllegalArgumentException("ORDER_MAX_PENDING_AGE_MS must be 0 (no bound) or at least 1000, not "
            + maxAge);
      }
      return new Settings(ServiceSettings.from(env, ServiceNames.ORDER_SERVICE),
          env.longValue("ORDER_PENDING_DEADLINE_MS", DEFAULT_PENDING_DEADLINE_MS, 1_000, Long.MAX_VALUE),
          env.longValue("ORDER_IDEMPOTENCY_PURGE_MS", DEFAULT_IDEMPOTENCY_PURGE_MS, 1_000, 86_400_000),
          env.longValue("ORDER_MAX_PENDING", DEFAULT_MAX_PENDING, 0, 100_000_000), maxAge);
    }
  }

  private final OrderApi api;
  private final OrderSagaHandler saga;
  private final PendingOrderWatch pendingWatch;
  private final IdempotencyKeyPurge keyPurge;
  private final OrderBacklog backlog;

  public OrderService(ServiceHost.Context context, Settings settings) {
    OrderRepository repository = new OrderRepository();
    Idempotency idempotency = new Idempotency(context.outbox());
    this.backlog = new OrderBacklog(context.outbox().database(), repository, settings.maxPending(),
        settings.maxPendingAgeMs());
    this.api = new OrderApi(context.outbox(), repository, idempotency, backlog);
    this.saga = new OrderSagaHandler(repository);
    this.pendingWatch = new PendingOrderWatch(context.outbox().database(), repository, settings.pendingDeadlineMs());
    this.keyPurge = new IdempotencyKeyPurge(idempotency, settings.idempotencyPurgeIntervalMs());
  }

  public static void main(String[] args) {
    Settings settings = Settings.from(System.getenv());
    ServiceHost.launch(settings.common(), context -> new OrderService(context, settings));
  }

  @Override
  public String inboxAddress() {
    return Addresses.ORDER_EVENTS;
  }

  @Override
  public EventHandler eventHandler() {
    return saga;
  }

  @Override
  public void mountApi(Router router) {
    api.mount(router);
    router.get("/admin/pending").handler(ctx -> Json.ok(ctx, new JsonObject().put("overdue", pendingWatch.overdue())));
  }

  @Override
  public List<Deployable> verticles() {
    return List.of(pendingWatch, keyPurge, backlog);
  }
}
