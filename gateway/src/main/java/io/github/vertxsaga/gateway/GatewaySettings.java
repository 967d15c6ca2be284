package io.github.vertxsaga.gateway;

import io.github.vertxsaga.platform.auth.AuthSettings;
import io.github.vertxsaga.platform.config.ClusterSettings;
import io.github.vertxsaga.events.ServiceNames;
import io.github.vertxsaga.platform.config.Env;
import io.github.vertxsaga.platform.tracing.TracingSettings;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.List;
import java.util.Map;

/**
 * The whole configuration of the gateway, read once from the environment.
 *
 * @param requestTimeoutMs  per request to a service; past it the client gets 504 ({@code GATEWAY_REQUEST_TIMEOUT_MS})
 * @param readAttemptMs     how long a GET or HEAD waits on its first instance before it is tried on another
 *                          ({@code GATEWAY_READ_ATTEMPT_TIMEOUT_MS}, at most the request timeout)
 * @param breakerFailures   consecutive failures that open an instance's breaker ({@code BREAKER_MAX_FAILURES})
 * @param breakerResetMs    how long a breaker stays open before a trial request ({@code BREAKER_RESET_MS})
 * @param refreshMs         fallback discovery refresh; announcements refresh at once ({@code DISCOVERY_REFRESH_MS})
 * @param instances         HTTP verticle instances, one per core by default ({@code GATEWAY_INSTANCES})
 * @param auth              token verification, shared with the services ({@code JWT_*})
 * @param issuerEnabled     serve {@code POST /api/auth/token} ({@code AUTH_ISSUER_ENABLED})
 * @param users             the issuer's accounts ({@code AUTH_USERS}, {@code name:password:role,...})
 * @param tokenTtlSeconds   lifetime of issued tokens ({@code JWT_TTL_SECONDS})
 * @param rate              per-user (or per-address, before login) token bucket ({@code RATE_LIMIT_PER_SECOND},
 *                          {@code RATE_LIMIT_BURST})
 * @param loginRate         per-address token bucket of the token endpoint ({@code AUTH_RATE_LIMIT_PER_MINUTE},
 *                          {@code AUTH_RATE_LIMIT_BURST})
 * @param shutdownGraceMs   on SIGTERM, how long the gateway keeps serving while it drains (answering 503 on
 *                          {@code /ready} and {@code Connection: close} on every response) before its HTTP server
 *                          closes ({@code SHUTDOWN_GRACE_MS})
 * @param tracing           where its spans go ({@code OTEL_*})
 */
public record GatewaySettings(
    int httpPort,
    ClusterSettings cluster,
    long requestTimeoutMs,
    long readAttemptMs,
    int breakerFailures,
    long breakerResetMs,
    long refreshMs,
    int instances,
    AuthSettings auth,
    boolean issuerEnabled,
    List<TokenIssuer.Account> users,
    int tokenTtlSeconds,
    RateLimiter.Limit rate,
    RateLimiter.Limit loginRate,
    long shutdownGraceMs,
    TracingSettings tracing) {

  public GatewaySettings {
    if (issuerEnabled && !auth.hasSecret()) {
      throw new IllegalArgumentException("the token issuer signs with JWT_SECRET: set it, or AUTH_ISSUER_ENABLED=false");
    }
    users = List.copyOf(users);
    readAttemptMs = Math.min(readAttemptMs, requestTimeoutMs);
  }

  public static GatewaySettings from(Map<String, String> environment) {
    Env env = new Env(environment);
    return new GatewaySettings(
        env.integer("HTTP_PORT", 8080, 0, 65535),
        ClusterSettings.from(env),
        env.longValue("GATEWAY_REQUEST_TIMEOUT_MS", 5_000, 1, 600_000),
        env.longValue("GATEWAY_READ_ATTEMPT_TIMEOUT_MS", 2_000, 1, 600_000),
        env.integer("BREAKER_MAX_FAILURES", 5, 1, 1_000),
        env.longValue("BREAKER_RESET_MS", 5_000, 10, 600_000),
        env.longValue("DISCOVERY_REFRESH_MS", 1_000, 10, 600_000),
        env.integer("GATEWAY_INSTANCES", Runtime.getRuntime().availableProcessors(), 1, 64),
        AuthSettings.from(env),
        env.bool("AUTH_ISSUER_ENABLED", true),
        TokenIssuer.Account.parseAll(env.string("AUTH_USERS", "")),
        env.integer("JWT_TTL_SECONDS", 3_600, 10, 7 * 24 * 3600),
        RateLimiter.Limit.perSecond(env.integer("RATE_LIMIT_PER_SECOND", 100, 1, 1_000_000),
            env.integer("RATE_LIMIT_BURST", 200, 1, 1_000_000)),
        RateLimiter.Limit.perMinute(env.integer("AUTH_RATE_LIMIT_PER_MINUTE", 10, 1, 1_000_000),
            env.integer("AUTH_RATE_LIMIT_BURST", 5, 1, 1_000_000)),
        env.longValue("SHUTDOWN_GRACE_MS", 1_500, 0, 60_000),
        TracingSettings.from(env, ServiceNames.GATEWAY));
  }

  /** The same gateway, its spans recorded and handed to {@code exporter} (tests that collect them in the JVM). */
  public GatewaySettings exportingSpansTo(SpanExporter exporter) {
    return new GatewaySettings(httpPort, cluster, requestTimeoutMs, readAttemptMs, breakerFailures, breakerResetMs, refreshMs,
        instances, auth, issuerEnabled, users, tokenTtlSeconds, rate, loginRate, shutdownGraceMs,
        tracing.exportingTo(exporter));
  }
}
