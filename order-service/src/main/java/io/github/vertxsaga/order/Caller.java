package io.github.vertxsaga.order;

import io.vertx.ext.web.RoutingContext;

/**
 * Who is calling. Until authentication lands every caller is the same anonymous customer; handlers already take a
 * caller so ownership checks slot in without touching them.
 */
record Caller(String name, boolean admin) {
  static final Caller ANONYMOUS = new Caller("anonymous", true);

  static Caller of(RoutingContext ctx) {
    return ANONYMOUS;
  }

  boolean mayAccess(Order order) {
    return admin || name.equals(order.customer());
  }
}
