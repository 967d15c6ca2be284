package io.github.vertxsaga.order;

import io.github.vertxsaga.platform.auth.Caller;
import io.github.vertxsaga.platform.http.ApiException;

/** Who sees which order: an admin every order, a customer only their own. */
final class OrderVisibility {

  private OrderVisibility() {
  }

  /** The order if the caller may see it; another customer's order is "not found", so ids do not leak. */
  static Order visible(Order order, Caller caller, String id) {
    if (order == null || !(caller.isAdmin() || caller.name().equals(order.customer()))) {
      throw ApiException.notFound("no order " + id);
    }
    return order;
  }

  /** The customer whose orders a listing shows; null for an admin, who lists everyone's. */
  static String listedCustomer(Caller caller) {
    return caller.isAdmin() ? null : caller.name();
  }
}
