package io.github.vertxsaga.systemtests;

import static io.github.vertxsaga.systemtests.KubernetesManifestChecks.GATEWAY;
import static io.github.vertxsaga.systemtests.KubernetesManifestChecks.MEMBER;
import static io.github.vertxsaga.systemtests.KubernetesManifests.list;
import static io.github.vertxsaga.systemtests.KubernetesManifests.map;
import static io.github.vertxsaga.systemtests.KubernetesManifests.name;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.systemtests.process.Service;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Checks deploy/kubernetes against the rest of the repository, since no test here can run a cluster: the images,
 * the variables and the README's table, the probes and the ports that serve them, each JVM's TLS Secret, the headless
 * Service the members find each other through, and who the NetworkPolicies let in. Each check also meets a copy
 * changed in memory, to show that it would notice that drift.
 */
@DisplayName("The Kubernetes manifests")
class KubernetesManifestsTest {
  private static final List<String> MODULES = List.of(GATEWAY, "order-service", "inventory-service");
  private static final Pattern MODULE = Pattern.compile("<module>([^<]+)</module>");

  private static Path root;
  private static Path directory;
  private static KubernetesManifests manifests;
  private static Set<String> documented;

  @BeforeAll
  static void load() throws IOException {
    root = Service.projectRoot();
    directory = root.resolve("deploy/kubernetes");
    manifests = KubernetesManifests.load(directory);
    documented = ReadmeConfiguration.variables(Files.readString(root.resolve("README.md")));
  }

  @Test
  @DisplayName("deploys every file of deploy/kubernetes through kustomization.yaml, each object in the one namespace")
  void everyFileIsDeployed() throws IOException {
    List<String> files;
    try (Stream<Path> listing = Files.list(directory)) {
      files = listing.map(file -> file.getFileName().toString())
          .filter(file -> file.endsWith(".yaml") && !file.equals(KubernetesManifests.KUSTOMIZATION)).toList();
    }
    assertThat(KubernetesManifests.resources(directory)).containsExactlyInAnyOrderElementsOf(files);
    List<Map<String, Object>> namespaces = manifests.ofKind("Namespace");
    assertThat(namespaces).hasSize(1);
    String namespace = name(namespaces.get(0));
    assertThat(manifests.all().stream().filter(object -> !"Namespace".equals(object.get("kind")))
        .filter(object -> !namespace.equals(KubernetesManifests.namespace(object)))
        .map(object -> object.get("kind") + " " + name(object))).isEmpty();
  }

  @Test
  @DisplayName("runs the images this repository builds, vertx-saga/<module> from that module's Dockerfile, with a "
      + "memory limit, and two instances of each service")
  void imagesAreOurs() throws IOException {
    List<String> modules = MODULE.matcher(Files.readString(root.resolve("pom.xml"))).results()
        .map(m -> m.group(1).trim()).toList();
    assertThat(KubernetesManifestChecks.images(manifests, root, modules)).isEmpty();
    assertThat(manifests.pods().stream().map(KubernetesManifestChecks::module))
        .containsExactlyInAnyOrderElementsOf(MODULES);
    manifests.ofKind("Deployment").stream().filter(deployment -> !GATEWAY.equals(name(deployment)))
        .forEach(deployment -> assertThat((Integer) map(deployment.get("spec")).get("replicas"))
            .as("replicas of " + name(deployment)).isGreaterThanOrEqualTo(2));
  }

  @Test
  @DisplayName("sets only variables that the README's configuration table describes")
  void variablesAreDocumented() {
    assertThat(documented).contains("CLUSTER_JOIN", "CLUSTER_KUBERNETES_SERVICE_DNS", "EVENTBUS_PORT");
    assertThat(KubernetesManifestChecks.undocumented(manifests, documented)).isEmpty();
  }

  @Test
  @DisplayName("would notice a variable that the README does not describe")
  void noticesAnUndocumentedVariable() {
    List<String> found = drift(
        changed -> env(changed, GATEWAY).add(new LinkedHashMap<>(Map.of("name", "GATEWAY_TURBO", "value", "true"))),
        changed -> KubernetesManifestChecks.undocumented(changed, documented));
    assertThat(found).containsExactly("gateway sets GATEWAY_TURBO");
  }

  @Test
  @DisplayName("asks /ready and /health on a port of the container that wants no client certificate: a service's "
      + "OPS_PORT, the gateway's HTTP_PORT")
  void probesAskThePlainPort() {
    assertThat(KubernetesManifestChecks.probes(manifests)).isEmpty();
  }

  @Test
  @DisplayName("would notice a readiness probe on a service's API port")
  void noticesAProbeOnTheApiPort() {
    List<String> found = drift(
        changed -> map(map(container(changed, "order-service").get("readinessProbe")).get("httpGet"))
            .put("port", "api"),
        KubernetesManifestChecks::probes);
    assertThat(found).containsExactly("order-service: readinessProbe asks port 8081, not OPS_PORT 8082");
  }

  @Test
  @DisplayName("mounts each JVM's own TLS Secret read-only and points TLS_CA_FILE, TLS_CERT_FILE and TLS_KEY_FILE into "
      + "it, with CLUSTER_TLS never off")
  void everyJvmHasItsOwnCertificate() {
    assertThat(KubernetesManifestChecks.tls(manifests)).isEmpty();
  }

  @Test
  @DisplayName("would notice CLUSTER_TLS=off")
  void noticesTlsOff() {
    List<String> found = drift(
        changed -> env(changed, "inventory-service")
            .add(new LinkedHashMap<>(Map.of("name", "CLUSTER_TLS", "value", "off"))),
        KubernetesManifestChecks::tls);
    assertThat(found).containsExactly("inventory-service: CLUSTER_TLS=off, or taken from elsewhere");
  }

  @Test
  @DisplayName("joins every pod through the one headless Service, which CLUSTER_KUBERNETES_SERVICE_DNS names and which "
      + "lists each pod before it is ready")
  void membersFindEachOther() {
    assertThat(KubernetesManifestChecks.join(manifests)).isEmpty();
  }

  @Test
  @DisplayName("would notice a Deployment whose pods the headless Service does not select")
  void noticesAPodLeftOutOfTheCluster() {
    List<String> found = drift(changed -> {
      Map<String, Object> template = map(map(deployment(changed, "inventory-service").get("spec")).get("template"));
      map(map(template.get("metadata")).get("labels")).keySet().removeAll(MEMBER.keySet());
    }, KubernetesManifestChecks::join);
    assertThat(found).containsExactly("the headless Service vertx-saga-cluster does not select the pods of "
        + "inventory-service");
  }

  @Test
  @DisplayName("lets only members reach Hazelcast, the event bus and the services' API ports, and anyone the gateway's "
      + "HTTP port")
  void networkPolicies() {
    assertThat(KubernetesManifestChecks.network(manifests)).isEmpty();
  }

  @Test
  @DisplayName("would notice a NetworkPolicy that lets anyone reach the members' ports")
  void noticesAnOpenMemberPort() {
    List<String> found = drift(changed -> {
      Map<String, Object> policy = changed.find("NetworkPolicy", "members-only").orElseThrow();
      map(list(map(policy.get("spec")).get("ingress")).get(0)).remove("from");
    }, KubernetesManifestChecks::network);
    assertThat(found).contains("order-service: members-only lets anyone reach port 5701",
        "gateway: members-only lets anyone reach port 5801",
        "inventory-service: members-only lets anyone reach port 8081");
  }

  @Test
  @DisplayName("exposes the gateway's HTTP port alone through a Service, besides the headless one")
  void onlyTheGatewayIsExposed() {
    assertThat(KubernetesManifestChecks.exposure(manifests)).isEmpty();
    assertThat(manifests.find("Service", GATEWAY)).isPresent();
  }

  /** What {@code check} finds in a fresh copy changed by {@code change}, less what it finds in the repository's. */
  private static List<String> drift(Consumer<KubernetesManifests> change,
                                    Function<KubernetesManifests, List<String>> check) {
    try {
      KubernetesManifests changed = KubernetesManifests.load(directory);
      change.accept(changed);
      List<String> found = new ArrayList<>(check.apply(changed));
      found.removeAll(check.apply(manifests));
      return found;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Map<String, Object> deployment(KubernetesManifests manifests, String name) {
    return manifests.find("Deployment", name).orElseThrow();
  }

  private static Map<String, Object> container(KubernetesManifests manifests, String deployment) {
    Map<String, Object> spec = map(map(map(deployment(manifests, deployment).get("spec")).get("template")).get("spec"));
    return map(list(spec.get("containers")).get(0));
  }

  @SuppressWarnings("unchecked")
  private static List<Object> env(KubernetesManifests manifests, String deployment) {
    return (List<Object>) container(manifests, deployment).get("env");
  }
}
