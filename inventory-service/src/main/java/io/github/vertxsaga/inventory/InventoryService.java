package io.github.vertxsaga.inventory;

import io.github.vertxsaga.events.Addresses;
import io.github.vertxsaga.events.ServiceNames;
import io.github.vertxsaga.platform.service.ServiceHost;
import io.github.vertxsaga.platform.config.Env;
import io.github.vertxsaga.platform.service.ServiceSettings;
import io.github.vertxsaga.platform.outbox.EventHandler;
import io.vertx.ext.web.Router;

/** inventory-service: stock per SKU, reserved and released as orders come and go. */
public final class InventoryService implements ServiceHost.Module {
  private final InventoryApi api;
  private final ReservationHandler reservations;

  public InventoryService(ServiceHost.Context context) {
    InventoryRepository repository = new InventoryRepository();
    this.api = new InventoryApi(context.outbox(), repository);
    this.reservations = new ReservationHandler(repository);
  }

  /** The whole configuration of this service, read once from the environment. */
  public static ServiceSettings settings(java.util.Map<String, String> environment) {
    return ServiceSettings.from(new Env(environment), ServiceNames.INVENTORY_SERVICE);
  }

  public static void main(String[] args) {
    ServiceHost.launch(settings(System.getenv()), InventoryService::new);
  }

  @Override
  public String inboxAddress() {
    return Addresses.INVENTORY_EVENTS;
  }

  @Override
  public EventHandler eventHandler() {
    return reservations;
  }

  @Override
  public void mountApi(Router router) {
    api.mount(router);
  }
}
