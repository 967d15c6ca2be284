package io.github.vertxsaga.events;

/** The names services publish themselves under in discovery, and the {@code source} of their events. */
public final class ServiceNames {
  public static final String ORDER_SERVICE = "order-service";
  public static final String INVENTORY_SERVICE = "inventory-service";
  public static final String GATEWAY = "gateway";

  private ServiceNames() {
  }
}
