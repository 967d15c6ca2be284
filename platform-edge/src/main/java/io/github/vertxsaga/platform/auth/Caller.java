package io.github.vertxsaga.platform.auth;

import io.vertx.ext.web.RoutingContext;

/** Who is calling, as a verified token says: its subject and role ({@code customer} or {@code admin}). */
public record Caller(String name, String role) {
  public static final String ADMIN = "admin";
  public static final String CUSTOMER = "customer";
  static final String KEY = "caller";

  public boolean isAdmin() {
    return ADMIN.equals(role);
  }

  /** The caller that {@link Authentication} verified for this request. */
  public static Caller of(RoutingContext ctx) {
    Caller caller = ctx.get(KEY);
    if (caller == null) {
      throw new IllegalStateException("route is not behind Authentication");
    }
    return caller;
  }
}
