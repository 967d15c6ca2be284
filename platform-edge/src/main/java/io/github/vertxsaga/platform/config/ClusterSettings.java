package io.github.vertxsaga.platform.config;

import io.github.vertxsaga.platform.tls.TlsSettings;
import java.util.List;

/**
 * How a node joins the Hazelcast cluster: by name, on one advertised address, finding its peers through an explicit
 * member list or through the DNS name of a Kubernetes headless Service.
 *
 * @param name         nodes with another name never join ({@code CLUSTER_NAME})
 * @param host         the address this node binds and advertises ({@code CLUSTER_HOST})
 * @param port         first Hazelcast port to try; auto-increments when taken ({@code CLUSTER_PORT})
 * @param members      seeds, {@code host[:port]}, for the {@code tcp} join ({@code CLUSTER_MEMBERS}); empty otherwise
 * @param tls          the certificates members prove themselves with ({@code CLUSTER_TLS}, {@code TLS_*_FILE})
 * @param join         how the peers are found ({@code CLUSTER_JOIN})
 * @param serviceDns   for {@code kubernetes-dns}: the headless Service whose addresses are the members' pods
 *                     ({@code CLUSTER_KUBERNETES_SERVICE_DNS})
 * @param eventBusPort the event bus's TCP port; 0 picks a free one ({@code EVENTBUS_PORT})
 */
public record ClusterSettings(String name, String host, int port, List<String> members, TlsSettings tls, Join join,
                              String serviceDns, int eventBusPort) {
  public static final String DEFAULT_NAME = "vertx-saga";
  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 5701;
  public static final String DEFAULT_MEMBERS = "127.0.0.1";
  public static final int DEFAULT_EVENTBUS_PORT = 0;

  /** How a node finds the members already there. */
  public enum Join {
    /** Hazelcast's TCP-IP join, seeded with {@code CLUSTER_MEMBERS}. */
    TCP("tcp"),
    /** Hazelcast's Kubernetes discovery in DNS lookup mode: no access to the Kubernetes API, hence no RBAC. */
    KUBERNETES_DNS("kubernetes-dns");

    private final String value;

    Join(String value) {
      this.value = value;
    }

    public String value() {
      return value;
    }

    static Join parse(String raw) {
      for (Join join : values()) {
        if (join.value.equalsIgnoreCase(raw)) {
          return join;
        }
      }
      throw new IllegalArgumentException("CLUSTER_JOIN must be tcp or kubernetes-dns, got '" + raw + "'");
    }
  }

  public ClusterSettings {
    members = List.copyOf(members);
    if (join == Join.KUBERNETES_DNS && (serviceDns == null || serviceDns.isBlank())) {
      throw new IllegalArgumentException("CLUSTER_JOIN=kubernetes-dns needs CLUSTER_KUBERNETES_SERVICE_DNS: the DNS name "
          + "of the headless Service that selects every member, e.g. vertx-saga-cluster.vertx-saga.svc.cluster.local");
    }
    // A DNS name given with the tcp join would leave each pod alone in a cluster of its own, silently.
    if (join == Join.TCP && serviceDns != null && !serviceDns.isBlank()) {
      throw new IllegalArgumentException("CLUSTER_KUBERNETES_SERVICE_DNS is set but CLUSTER_JOIN is tcp: set "
          + "CLUSTER_JOIN=kubernetes-dns to join through it, or leave it unset");
    }
  }

  /** A node that joins over TCP with {@code members} and takes any free event-bus port, as tests and bin/run do. */
  public ClusterSettings(String name, String host, int port, List<String> members, TlsSettings tls) {
    this(name, host, port, members, tls, Join.TCP, null, DEFAULT_EVENTBUS_PORT);
  }

  public static ClusterSettings from(Env env) {
    Join join = Join.parse(env.string("CLUSTER_JOIN", Join.TCP.value()));
    return new ClusterSettings(
        env.string("CLUSTER_NAME", DEFAULT_NAME),
        env.string("CLUSTER_HOST", DEFAULT_HOST),
        env.integer("CLUSTER_PORT", DEFAULT_PORT, 1, 65535),
        join == Join.TCP ? env.list("CLUSTER_MEMBERS", DEFAULT_MEMBERS) : List.of(),
        TlsSettings.from(env),
        join,
        env.string("CLUSTER_KUBERNETES_SERVICE_DNS", null),
        env.integer("EVENTBUS_PORT", DEFAULT_EVENTBUS_PORT, 0, 65535));
  }
}
