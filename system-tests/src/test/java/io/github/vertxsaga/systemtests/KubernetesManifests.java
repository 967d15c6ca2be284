package io.github.vertxsaga.systemtests;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The objects of deploy/kubernetes as kustomization.yaml lists them, read as plain YAML, with the few look-ups that
 * KubernetesManifestsTest needs: a Deployment's pod as its container sees it (variables, ports by name, mounts) and
 * label selectors. Each load is a fresh copy, which a test may change to see that a check notices.
 */
final class KubernetesManifests {
  static final String KUSTOMIZATION = "kustomization.yaml";
  private final List<Map<String, Object>> objects;

  private KubernetesManifests(List<Map<String, Object>> objects) {
    this.objects = objects;
  }

  static KubernetesManifests load(Path directory) throws IOException {
    List<Map<String, Object>> objects = new ArrayList<>();
    for (String file : resources(directory)) {
      objects.addAll(documents(directory.resolve(file)));
    }
    return new KubernetesManifests(objects);
  }

  /** The files kustomization.yaml deploys. */
  static List<String> resources(Path directory) throws IOException {
    return list(documents(directory.resolve(KUSTOMIZATION)).get(0).get("resources")).stream()
        .map(String::valueOf).toList();
  }

  List<Map<String, Object>> all() {
    return objects;
  }

  List<Map<String, Object>> ofKind(String kind) {
    return objects.stream().filter(object -> kind.equals(object.get("kind"))).toList();
  }

  Optional<Map<String, Object>> find(String kind, String name) {
    return ofKind(kind).stream().filter(object -> name.equals(name(object))).findFirst();
  }

  List<Pod> pods() {
    return ofKind("Deployment").stream().map(this::pod).toList();
  }

  Pod pod(String deployment) {
    return find("Deployment", deployment).map(this::pod).orElseThrow();
  }

  /**
   * A Deployment's pod: its labels, its first container, the variables that container gets (from {@code env} and
   * from the ConfigMaps of {@code envFrom}; a value taken from a Secret or the pod is null), its ports by name.
   */
  private Pod pod(Map<String, Object> deployment) {
    Map<String, Object> template = map(map(deployment.get("spec")).get("template"));
    Map<String, Object> spec = map(template.get("spec"));
    Map<String, Object> container = map(list(spec.get("containers")).stream().findFirst().orElse(null));
    List<String> problems = new ArrayList<>();
    Map<String, String> environment = new LinkedHashMap<>();
    for (Object source : list(container.get("envFrom"))) {
      String configMap = String.valueOf(map(map(source).get("configMapRef")).get("name"));
      Optional<Map<String, Object>> found = find("ConfigMap", configMap);
      if (found.isEmpty()) {
        problems.add(name(deployment) + " takes variables from " + source + ", which is no ConfigMap of these files");
      } else {
        map(found.get().get("data")).forEach((key, value) -> environment.put(key, String.valueOf(value)));
      }
    }
    for (Object variable : list(container.get("env"))) {
      Object value = map(variable).get("value");
      environment.put(String.valueOf(map(variable).get("name")), value == null ? null : String.valueOf(value));
    }
    Map<String, Integer> ports = new LinkedHashMap<>();
    list(container.get("ports")).forEach(port -> ports.put(String.valueOf(map(port).get("name")),
        ((Number) map(port).get("containerPort")).intValue()));
    return new Pod(name(deployment), namespace(deployment), strings(map(template.get("metadata")).get("labels")),
        map(template.get("metadata")), spec, container, environment, ports, problems);
  }

  /** A pod of a Deployment as its container sees it. */
  record Pod(String deployment, String namespace, Map<String, String> labels, Map<String, Object> metadata,
             Map<String, Object> spec, Map<String, Object> container, Map<String, String> environment,
             Map<String, Integer> ports, List<String> problems) {

    /** The container's port that {@code port} names (a number or a port name), or null when it has none. */
    Integer resolve(Object port) {
      if (port instanceof Number number) {
        return ports.containsValue(number.intValue()) ? number.intValue() : null;
      }
      return ports.get(String.valueOf(port));
    }

    /** The value of a variable as a number, {@code fallback} when it is not set. */
    int number(String variable, int fallback) {
      String value = environment.get(variable);
      return value == null ? fallback : Integer.parseInt(value.trim());
    }

    String variableSource(String variable) {
      return list(container.get("env")).stream().map(KubernetesManifests::map)
          .filter(entry -> variable.equals(entry.get("name"))).findFirst()
          .map(entry -> String.valueOf(entry.get("valueFrom"))).orElse(null);
    }
  }

  /** Whether a label selector (a Service's map, or a {@code matchLabels}) selects a pod with {@code labels}. */
  static boolean selects(Map<String, Object> selector, Map<String, String> labels) {
    return selector.entrySet().stream()
        .allMatch(entry -> String.valueOf(entry.getValue()).equals(labels.get(entry.getKey())));
  }

  static String name(Map<String, Object> object) {
    return String.valueOf(map(object.get("metadata")).get("name"));
  }

  static String namespace(Map<String, Object> object) {
    Object namespace = map(object.get("metadata")).get("namespace");
    return namespace == null ? null : namespace.toString();
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object value) {
    return value instanceof Map<?, ?> ? (Map<String, Object>) value : Map.of();
  }

  static List<?> list(Object value) {
    return value instanceof List<?> l ? l : List.of();
  }

  private static Map<String, String> strings(Object value) {
    Map<String, String> strings = new LinkedHashMap<>();
    map(value).forEach((key, v) -> strings.put(key, String.valueOf(v)));
    return strings;
  }

  private static List<Map<String, Object>> documents(Path file) throws IOException {
    List<Map<String, Object>> documents = new ArrayList<>();
    try (Reader reader = Files.newBufferedReader(file)) {
      for (Object document : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(reader)) {
        if (document != null) {
          documents.add(map(document));
        }
      }
    }
    return documents;
  }
}
