package io.github.vertxsaga.gateway;

import io.github.vertxsaga.platform.config.ClusterSettings;
import io.github.vertxsaga.platform.config.Env;
import java.util.Map;

/**
 * The whole configuration of the gateway, read once from the environment.
 *
 * @param requestTimeoutMs  per request to a service; past it the client gets 504 ({@code GATEWAY_REQUEST_TIMEOUT_MS})
 * @param breakerFailures   consecutive failures that open an instance's breaker ({@code BREAKER_MAX_FAILURES})
 * @param breakerResetMs    how long a breaker stays open before a trial request ({@code BREAKER_RESET_MS})
 * @param refreshMs         fallback discovery refresh; announcements refresh at once ({@code DISCOVERY_REFRESH_MS})
 * @param instances         HTTP verticle instances, one per core by default ({@code GATEWAY_INSTANCES})
 */
public record GatewaySettings(
    int httpPort,
    ClusterSettings cluster,
    long requestTimeoutMs,
    int breakerFailures,
    long breakerResetMs,
    long refreshMs,
    int instances) {

  public static GatewaySettings from(Map<String, String> environment) {
    Env env = new Env(environment);
    return new GatewaySettings(
        env.integer("HTTP_PORT", 8080, 0, 65535),
        ClusterSettings.from(env),
        env.longValue("GATEWAY_REQUEST_TIMEOUT_MS", 5_000, 1, 600_000),
        env.integer("BREAKER_MAX_FAILURES", 5, 1, 1_000),
        env.longValue("BREAKER_RESET_MS", 5_000, 10, 600_000),
        env.longValue("DISCOVERY_REFRESH_MS", 1_000, 10, 600_000),
        env.integer("GATEWAY_INSTANCES", Runtime.getRuntime().availableProcessors(), 1, 64));
  }
}
