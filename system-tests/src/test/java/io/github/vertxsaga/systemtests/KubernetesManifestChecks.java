package io.github.vertxsaga.systemtests;

import static io.github.vertxsaga.systemtests.KubernetesManifests.list;
import static io.github.vertxsaga.systemtests.KubernetesManifests.map;
import static io.github.vertxsaga.systemtests.KubernetesManifests.name;
import static io.github.vertxsaga.systemtests.KubernetesManifests.selects;

import io.github.vertxsaga.systemtests.KubernetesManifests.Pod;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What KubernetesManifestsTest checks, each as a list of the problems found, in words: empty for the repository's
 * manifests, and naming the drift for a copy changed in memory.
 */
final class KubernetesManifestChecks {
  static final String GATEWAY = "gateway";
  /** The label every pod of the system carries: what the headless Service and the NetworkPolicies select. */
  static final Map<String, String> MEMBER = Map.of("app.kubernetes.io/part-of", "vertx-saga");
  private static final Pattern IMAGE = Pattern.compile("vertx-saga/([a-z][a-z0-9-]*)(?::[\\w.-]+)?");
  /** ClusterSettings.DEFAULT_PORT: Hazelcast's port when CLUSTER_PORT is not set. */
  private static final int DEFAULT_CLUSTER_PORT = 5701;
  /** The variables that name the TLS files, and the keys of a kubernetes.io/tls Secret (with ca.crt) they name. */
  private static final Map<String, String> TLS_FILES =
      Map.of("TLS_CA_FILE", "ca.crt", "TLS_CERT_FILE", "tls.crt", "TLS_KEY_FILE", "tls.key");
  private static final Map<String, List<String>> PROBES = Map.of("readinessProbe", List.of("/ready"),
      "livenessProbe", List.of("/health"), "startupProbe", List.of("/health", "/ready"));

  private KubernetesManifestChecks() {
  }

  /** The module whose image a pod runs: gateway, order-service, inventory-service. */
  static String module(Pod pod) {
    Matcher image = IMAGE.matcher(String.valueOf(pod.container().get("image")));
    return image.matches() ? image.group(1) : pod.deployment();
  }

  /** Images not built by a Dockerfile of a module of {@code root}'s pom.xml, and containers without a memory limit. */
  static List<String> images(KubernetesManifests manifests, Path root, List<String> modules) {
    List<String> problems = new ArrayList<>();
    for (Pod pod : manifests.pods()) {
      String image = String.valueOf(pod.container().get("image"));
      Matcher ours = IMAGE.matcher(image);
      if (!ours.matches() || !modules.contains(ours.group(1))
          || !Files.isRegularFile(root.resolve(ours.group(1)).resolve("Dockerfile"))) {
        problems.add(pod.deployment() + " runs " + image + ", which no module's Dockerfile of " + modules + " builds");
      }
      // The JVM sizes its heap from the container's memory limit.
      Map<String, Object> resources = map(pod.container().get("resources"));
      if (map(resources.get("limits")).get("memory") == null || map(resources.get("requests")).get("memory") == null) {
        problems.add(pod.deployment() + " has no memory request and limit: " + resources);
      }
    }
    return problems;
  }

  /** Every variable a container gets that {@code documented} lacks, as "deployment sets VARIABLE". */
  static List<String> undocumented(KubernetesManifests manifests, Set<String> documented) {
    List<String> problems = new ArrayList<>();
    for (Pod pod : manifests.pods()) {
      problems.addAll(pod.problems());
      pod.environment().keySet().stream().filter(variable -> !documented.contains(variable))
          .forEach(variable -> problems.add(pod.deployment() + " sets " + variable));
    }
    return problems;
  }

  /** Probes that ask another path, or a port that wants a client certificate or is no port of the container. */
  static List<String> probes(KubernetesManifests manifests) {
    List<String> problems = new ArrayList<>();
    for (Pod pod : manifests.pods()) {
      String variable = plainPortVariable(pod);
      int plain = pod.number(variable, 0);
      if (plain == 0 || !pod.ports().containsValue(plain)) {
        problems.add(pod.deployment() + ": " + variable + " " + plain + " is not a port of the container");
      }
      PROBES.forEach((probe, paths) -> {
        Object declared = pod.container().get(probe);
        if (declared == null && probe.equals("startupProbe")) {
          return; // optional
        }
        Map<String, Object> get = map(map(declared).get("httpGet"));
        Integer port = pod.resolve(get.get("port"));
        if (!paths.contains(String.valueOf(get.get("path"))) || "HTTPS".equals(get.get("scheme"))) {
          problems.add(pod.deployment() + ": " + probe + " is not an HTTP GET of " + paths + ": " + declared);
        } else if (port == null || port != plain) {
          problems.add(pod.deployment() + ": " + probe + " asks port " + port + ", not " + variable + " " + plain);
        }
      });
      Object scraped = map(pod.metadata().get("annotations")).get("prometheus.io/port");
      if (scraped != null && !String.valueOf(plain).equals(scraped.toString())) {
        problems.add(pod.deployment() + ": Prometheus is pointed at port " + scraped + ", not " + variable);
      }
    }
    return problems;
  }

  /** A pod without its own TLS Secret mounted read-only, TLS files outside it, or CLUSTER_TLS off. */
  static List<String> tls(KubernetesManifests manifests) {
    List<String> problems = new ArrayList<>();
    for (Pod pod : manifests.pods()) {
      String secret = module(pod) + "-tls";
      List<String> volumes = list(pod.spec().get("volumes")).stream().map(KubernetesManifests::map)
          .filter(volume -> secret.equals(map(volume.get("secret")).get("secretName")))
          .map(volume -> String.valueOf(volume.get("name"))).toList();
      List<Map<String, Object>> mounts = list(pod.container().get("volumeMounts")).stream()
          .map(KubernetesManifests::map).filter(mount -> volumes.contains(String.valueOf(mount.get("name")))).toList();
      if (mounts.size() != 1 || !Boolean.TRUE.equals(mounts.get(0).get("readOnly"))) {
        problems.add(pod.deployment() + " does not mount the Secret " + secret + " once, read-only: " + mounts);
        continue;
      }
      String path = String.valueOf(mounts.get(0).get("mountPath"));
      TLS_FILES.forEach((variable, key) -> {
        if (!(path + "/" + key).equals(pod.environment().get(variable))) {
          problems.add(pod.deployment() + ": " + variable + "=" + pod.environment().get(variable) + ", not " + key
              + " of " + secret + " mounted at " + path);
        }
      });
      String enabled = pod.environment().getOrDefault("CLUSTER_TLS", "on");
      if (enabled == null || !List.of("on", "true").contains(enabled.toLowerCase())) {
        problems.add(pod.deployment() + ": CLUSTER_TLS=" + enabled + ", or taken from elsewhere");
      }
    }
    return problems;
  }

  /** Anything that keeps a pod from joining the one cluster through the headless Service, before it is ready. */
  static List<String> join(KubernetesManifests manifests) {
    List<Map<String, Object>> headless = manifests.ofKind("Service").stream()
        .filter(service -> "None".equals(map(service.get("spec")).get("clusterIP"))).toList();
    if (headless.size() != 1) {
      return List.of("not one headless Service but " + headless.size());
    }
    Map<String, Object> service = headless.get(0);
    Map<String, Object> spec = map(service.get("spec"));
    String what = "the headless Service " + name(service);
    String dns = name(service) + "." + KubernetesManifests.namespace(service) + ".svc";
    List<String> problems = new ArrayList<>();
    if (!Boolean.TRUE.equals(spec.get("publishNotReadyAddresses"))) {
      problems.add(what + " does not publish the addresses of pods not ready yet");
    }
    for (Pod pod : manifests.pods()) {
      if (!selects(map(spec.get("selector")), pod.labels())) {
        problems.add(what + " does not select the pods of " + pod.deployment());
      }
      Map<String, String> environment = pod.environment();
      String name = environment.get("CLUSTER_KUBERNETES_SERVICE_DNS");
      if (!"kubernetes-dns".equals(environment.get("CLUSTER_JOIN")) || name == null
          || !(name.equals(dns) || name.startsWith(dns + "."))) {
        problems.add(pod.deployment() + " joins with CLUSTER_JOIN=" + environment.get("CLUSTER_JOIN")
            + " and CLUSTER_KUBERNETES_SERVICE_DNS=" + name + ", not through " + dns);
      }
      if (!String.valueOf(pod.variableSource("CLUSTER_HOST")).contains("status.podIP")) {
        problems.add(pod.deployment() + ": CLUSTER_HOST is not the pod's address (fieldRef status.podIP)");
      }
      int hazelcast = pod.number("CLUSTER_PORT", DEFAULT_CLUSTER_PORT);
      list(spec.get("ports")).forEach(port -> {
        Integer target = pod.resolve(map(port).getOrDefault("targetPort", map(port).get("port")));
        if (target == null || target != hazelcast) {
          problems.add(what + " forwards " + port + " to " + pod.deployment() + "'s " + target
              + ", not its Hazelcast port " + hazelcast);
        }
      });
      int eventBus = pod.number("EVENTBUS_PORT", 0);
      if (eventBus == 0 || !pod.ports().containsValue(eventBus) || !pod.ports().containsValue(hazelcast)) {
        problems.add(pod.deployment() + ": the Hazelcast port " + hazelcast + " and EVENTBUS_PORT " + eventBus
            + " are not both fixed ports of the container " + pod.ports());
      }
    }
    return problems;
  }

  /**
   * Who the NetworkPolicies let in: Hazelcast, the event bus and a service's API port only from members, the
   * gateway's HTTP port from anyone; a pod no policy selects would take anything.
   */
  static List<String> network(KubernetesManifests manifests) {
    List<Map<String, Object>> policies = manifests.ofKind("NetworkPolicy").stream()
        .filter(policy -> list(map(policy.get("spec")).getOrDefault("policyTypes", List.of("Ingress")))
            .contains("Ingress")).toList();
    List<String> problems = new ArrayList<>();
    for (Pod pod : manifests.pods()) {
      List<Map<String, Object>> selecting = policies.stream()
          .filter(policy -> selects(matchLabels(map(policy.get("spec")).get("podSelector")), pod.labels())).toList();
      if (selecting.isEmpty()) {
        problems.add(pod.deployment() + ": no NetworkPolicy selects its pods, so anyone reaches every port");
      }
      List<Integer> membersOnly = new ArrayList<>(List.of(pod.number("CLUSTER_PORT", DEFAULT_CLUSTER_PORT),
          pod.number("EVENTBUS_PORT", 0)));
      if (!GATEWAY.equals(module(pod))) {
        membersOnly.add(pod.number("HTTP_PORT", 0));
      }
      for (int port : membersOnly) {
        boolean members = false;
        for (Map<String, Object> policy : selecting) {
          for (Object rule : list(map(policy.get("spec")).get("ingress"))) {
            if (!admits(map(rule), pod, port)) {
              continue;
            }
            List<?> from = list(map(rule).get("from"));
            if (from.isEmpty()) {
              problems.add(pod.deployment() + ": " + name(policy) + " lets anyone reach port " + port);
            }
            for (Object peer : from) {
              boolean member = map(peer).keySet().equals(Set.of("podSelector"))
                  && matchLabels(map(peer).get("podSelector")).entrySet().containsAll(MEMBER.entrySet());
              members |= member;
              if (!member) {
                problems.add(pod.deployment() + ": " + name(policy) + " lets " + peer + " reach port " + port);
              }
            }
          }
        }
        if (!members) {
          problems.add(pod.deployment() + ": no NetworkPolicy lets the members reach port " + port);
        }
      }
      if (GATEWAY.equals(module(pod))) {
        int http = pod.number("HTTP_PORT", 0);
        boolean open = selecting.stream().flatMap(policy -> list(map(policy.get("spec")).get("ingress")).stream())
            .anyMatch(rule -> admits(map(rule), pod, http) && list(map(rule).get("from")).isEmpty());
        if (!open) {
          problems.add(pod.deployment() + ": no NetworkPolicy lets clients reach the gateway's port " + http);
        }
      }
    }
    return problems;
  }

  /** Services other than the headless one that reach a pod on anything but the gateway's HTTP port. */
  static List<String> exposure(KubernetesManifests manifests) {
    List<String> problems = new ArrayList<>();
    for (Map<String, Object> service : manifests.ofKind("Service")) {
      Map<String, Object> spec = map(service.get("spec"));
      if ("None".equals(spec.get("clusterIP"))) {
        continue;
      }
      for (Pod pod : manifests.pods()) {
        if (!selects(map(spec.get("selector")), pod.labels())) {
          continue;
        }
        list(spec.get("ports")).forEach(port -> {
          Integer target = pod.resolve(map(port).getOrDefault("targetPort", map(port).get("port")));
          if (!GATEWAY.equals(module(pod)) || target == null || target != pod.number("HTTP_PORT", -1)) {
            problems.add("the Service " + name(service) + " reaches " + pod.deployment() + " on " + port);
          }
        });
      }
    }
    return problems;
  }

  /** Whether an ingress rule admits TCP traffic to {@code port} of {@code pod}: no ports listed means all. */
  private static boolean admits(Map<String, Object> rule, Pod pod, int port) {
    List<?> ports = list(rule.get("ports"));
    return ports.isEmpty() || ports.stream().map(KubernetesManifests::map).anyMatch(entry ->
        !"UDP".equals(entry.get("protocol"))
            && (entry.get("port") == null || Integer.valueOf(port).equals(pod.resolve(entry.get("port")))));
  }

  private static Map<String, Object> matchLabels(Object selector) {
    return map(map(selector).get("matchLabels"));
  }

  /** Where probes and Prometheus reach a JVM without a client certificate. */
  private static String plainPortVariable(Pod pod) {
    return GATEWAY.equals(module(pod)) ? "HTTP_PORT" : "OPS_PORT";
  }
}
