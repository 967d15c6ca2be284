package io.github.vertxsaga.platform.config;

import io.github.vertxsaga.platform.tls.TlsSettings;
import java.util.List;

/**
 * How a node joins the Hazelcast cluster: by name, on one advertised address, through an explicit member list.
 *
 * @param name      nodes with another name never join ({@code CLUSTER_NAME})
 * @param host      the address this node binds and advertises ({@code CLUSTER_HOST})
 * @param port      first Hazelcast port to try; auto-increments when taken ({@code CLUSTER_PORT})
 * @param members   seeds, {@code host[:port]} ({@code CLUSTER_MEMBERS})
 * @param tls       the certificates members prove themselves with ({@code CLUSTER_TLS}, {@code TLS_*_FILE})
 */
public record ClusterSettings(String name, String host, int port, List<String> members, TlsSettings tls) {
  public static final String DEFAULT_NAME = "vertx-saga";
  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 5701;
  public static final String DEFAULT_MEMBERS = "127.0.0.1";

  public ClusterSettings {
    members = List.copyOf(members);
  }

  public static ClusterSettings from(Env env) {
    return new ClusterSettings(
        env.string("CLUSTER_NAME", DEFAULT_NAME),
        env.string("CLUSTER_HOST", DEFAULT_HOST),
        env.integer("CLUSTER_PORT", DEFAULT_PORT, 1, 65535),
        env.list("CLUSTER_MEMBERS", DEFAULT_MEMBERS),
        TlsSettings.from(env));
  }
}
