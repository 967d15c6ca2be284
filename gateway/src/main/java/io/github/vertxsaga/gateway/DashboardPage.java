package io.github.vertxsaga.gateway;

import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;

/**
 * The dashboard's static files, from the jar's {@code dashboard/} folder: plain HTML, CSS and JavaScript with nothing
 * fetched from anywhere else. The page holds no data; everything it shows comes from the admin API and
 * {@link DashboardStream}, with the token its admin signs in for.
 */
final class DashboardPage {
  static final String PATH = "/dashboard";
  /** Nothing but this origin: no inline script, no remote code, no framing by another site. */
  private static final String POLICY = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
      + "base-uri 'none'; form-action 'self'";

  private DashboardPage() {
  }

  static void mount(Router router) {
    // Vert.x Web's "/dashboard" also matches "/dashboard/": only the bare path is sent to the folder.
    router.get(PATH).handler(ctx -> {
      if (ctx.request().path().equals(PATH)) {
        ctx.redirect(PATH + "/");
      } else {
        ctx.next();
      }
    });
    router.get(PATH + "/*")
        .handler(ctx -> {
          ctx.response().putHeader("Content-Security-Policy", POLICY)
              .putHeader("X-Content-Type-Options", "nosniff")
              .putHeader("Referrer-Policy", "no-referrer");
          ctx.next();
        })
        .handler(StaticHandler.create("dashboard").setCachingEnabled(false).setIndexPage("index.html"));
  }
}
