package io.github.vertxsaga.platform.service;

import io.github.vertxsaga.platform.auth.AuthSettings;
import io.github.vertxsaga.platform.config.ClusterSettings;
import io.github.vertxsaga.platform.config.Env;
import io.github.vertxsaga.platform.db.DatabaseSettings;
import io.github.vertxsaga.platform.outbox.OutboxSettings;
import io.github.vertxsaga.platform.tracing.TracingSettings;
import io.opentelemetry.sdk.trace.export.SpanExporter;

/**
 * What every service shares: where it listens, how it clusters, its database and its outbox.
 *
 * @param httpPort        the API port, HTTPS with client certificates when TLS is on; 0 picks a free port, which
 *                        discovery publishes ({@code HTTP_PORT})
 * @param opsPort         plain HTTP for probes and Prometheus: {@code /health}, {@code /ready}, {@code /metrics} and
 *                        nothing else; 0 picks a free port, logged at start ({@code OPS_PORT})
 * @param shutdownGraceMs after unpublishing on SIGTERM, how long in-flight requests may finish ({@code SHUTDOWN_GRACE_MS})
 * @param haltAfterApply  test-only fault switch: halt the JVM after committing an event of this type and before
 *                        acknowledging it ({@code FAULT_HALT_AFTER_APPLY}); empty in production
 * @param auth            how callers' bearer tokens are verified (the gateway forwards them; services check again)
 * @param tracing         where its spans go ({@code OTEL_*})
 */
public record ServiceSettings(
    String serviceName,
    int httpPort,
    int opsPort,
    ClusterSettings cluster,
    DatabaseSettings database,
    OutboxSettings outbox,
    long shutdownGraceMs,
    String haltAfterApply,
    AuthSettings auth,
    TracingSettings tracing) {

  public static ServiceSettings from(Env env, String serviceName) {
    return new ServiceSettings(
        serviceName,
        env.integer("HTTP_PORT", 0, 0, 65535),
        env.integer("OPS_PORT", 0, 0, 65535),
        ClusterSettings.from(env),
        DatabaseSettings.from(env, serviceName),
        OutboxSettings.from(env),
        env.longValue("SHUTDOWN_GRACE_MS", 1_500, 0, 60_000),
        env.string("FAULT_HALT_AFTER_APPLY", ""),
        AuthSettings.from(env),
        TracingSettings.from(env, serviceName));
  }

  /** The same service, its spans recorded and handed to {@code exporter} (tests that collect them in the JVM). */
  public ServiceSettings exportingSpansTo(SpanExporter exporter) {
    return new ServiceSettings(serviceName, httpPort, opsPort, cluster, database, outbox, shutdownGraceMs,
        haltAfterApply, auth, tracing.exportingTo(exporter));
  }
}
