package io.github.vertxsaga.order;

import io.github.vertxsaga.events.Addresses;
import io.github.vertxsaga.events.ServiceNames;
import io.github.vertxsaga.platform.ServiceHost;
import io.github.vertxsaga.platform.config.Env;
import io.github.vertxsaga.platform.config.ServiceSettings;
import io.github.vertxsaga.platform.http.Json;
import io.github.vertxsaga.platform.outbox.EventHandler;
import io.vertx.core.Deployable;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.util.List;
import java.util.Map;

/** order-service: places orders and follows them to CONFIRMED, REJECTED or CANCELLED. */
public final class OrderService implements ServiceHost.Module {

  /** The whole configuration of this service, read once from the environment. */
  public record Settings(ServiceSettings common, long pendingDeadlineMs) {
    public static Settings from(Map<String, String> environment) {
      Env env = new Env(environment);
      return new Settings(ServiceSettings.from(env, ServiceNames.ORDER_SERVICE),
          env.longValue("ORDER_PENDING_DEADLINE_MS", 30_000, 1_000, Long.MAX_VALUE));
    }
  }

  private final OrderApi api;
  private final OrderSagaHandler saga;
  private final PendingOrderWatch pendingWatch;

  public OrderService(ServiceHost.Context context, Settings settings) {
    OrderRepository repository = new OrderRepository();
    this.api = new OrderApi(context.outbox(), repository, new Idempotency(context.outbox()));
    this.saga = new OrderSagaHandler(repository);
    this.pendingWatch = new PendingOrderWatch(context.outbox().database(), repository, settings.pendingDeadlineMs());
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
    return List.of(pendingWatch);
  }
}
