package io.github.vertxsaga.systemtests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Checks docker-compose.yml against the rest of the repository, since no test here can run Docker: the services,
 * their health checks and start order, the Dockerfiles and jars they build from, the cluster seeds, the README's
 * configuration table, and what Prometheus is given to scrape and evaluate.
 */
@DisplayName("docker-compose.yml")
class ComposeFileTest {
  private static final String POSTGRES = "postgres";
  private static final String GATEWAY = "gateway";
  private static final String PROMETHEUS = "prometheus";
  private static final String CERTIFICATES = "certificates";
  private static final String INTERNAL_NETWORK = "cluster";
  /** Where the prom/prometheus image reads its configuration. */
  private static final String PROMETHEUS_CONFIG = "/etc/prometheus/prometheus.yml";
  private static final List<String> SERVICE_INSTANCES =
      List.of("inventory-service-1", "inventory-service-2", "order-service-1", "order-service-2");
  private static final Pattern READY_PORT = Pattern.compile(":(\\d+)/ready");
  private static final Pattern COPY_JAR = Pattern.compile("(?im)^\\s*COPY\\s+(?:--\\S+\\s+)*(\\S+\\.jar)\\s+\\S+");
  private static final Pattern MODULE = Pattern.compile("<module>([^<]+)</module>");
  private static final Pattern CREATE_DATABASE = Pattern.compile("(?i)CREATE\\s+DATABASE\\s+\"?(\\w+)\"?");

  private static Path root;
  private static Map<String, Object> compose;
  private static Set<String> documented;

  @BeforeAll
  static void load() throws IOException {
    root = projectRoot();
    compose = yaml(root.resolve("docker-compose.yml"));
    documented = ReadmeConfiguration.variables(Files.readString(root.resolve("README.md")));
  }

  @Test
  @DisplayName("runs PostgreSQL, two instances of each service, the gateway, Prometheus and the certificates one-shot")
  void expectedServices() {
    List<String> expected = new ArrayList<>(appServices());
    expected.add(POSTGRES);
    expected.add(PROMETHEUS);
    expected.add(CERTIFICATES);
    assertThat(services(compose).keySet()).containsExactlyInAnyOrderElementsOf(expected);
  }

  @Test
  @DisplayName("sets only variables that the README's configuration table describes")
  void variablesAreDocumented() {
    assertThat(documented).as("variables in the README's configuration table").contains("CLUSTER_MEMBERS", "DB_URL");
    assertThat(undocumentedVariables(compose, documented)).isEmpty();
  }

  @Test
  @DisplayName("would notice a variable that the README does not describe")
  void noticesAnUndocumentedVariable() {
    Map<String, Object> changed = yamlCopy();
    Map<String, Object> gateway = map(services(changed).get(GATEWAY));
    Map<String, String> environment = new LinkedHashMap<>(environment(gateway));
    environment.put("GATEWAY_TURBO", "true");
    gateway.put("environment", environment);

    List<String> reported = new ArrayList<>(undocumentedVariables(changed, documented));
    reported.removeAll(undocumentedVariables(compose, documented));
    assertThat(reported).containsExactly("gateway sets GATEWAY_TURBO");
  }

  @Test
  @DisplayName("gives every service of ours a health check that asks /ready on its plain probe port, with curl it installs")
  void healthChecksAskReady() {
    List<String> problems = new ArrayList<>();
    for (String name : appServices()) {
      Map<String, Object> service = map(services(compose).get(name));
      String check = healthCheck(service);
      Matcher port = READY_PORT.matcher(check);
      String probePort = probePort(service);
      if (!port.find()) {
        problems.add(name + ": the health check does not ask /ready: " + check);
      } else if (!port.group(1).equals(probePort)) {
        problems.add(name + ": the health check asks port " + port.group(1) + " but its probe port is " + probePort);
      }
      String tool = check.contains("curl") ? "curl" : check.contains("wget") ? "wget" : null;
      String dockerfile = dockerfile(service);
      if (tool == null || dockerfile == null || !Pattern.compile("apt-get install[^\\n]*\\b" + tool + "\\b")
          .matcher(dockerfile.replace("\\\n", " ")).find()) {
        problems.add(name + ": the health check needs a tool its Dockerfile installs (curl or wget): " + check);
      }
    }
    assertThat(problems).isEmpty();
  }

  @Test
  @DisplayName("starts each container only once the containers it needs are healthy")
  void dependenciesWaitForHealth() {
    List<String> problems = new ArrayList<>();
    services(compose).forEach((name, value) -> {
      Object dependsOn = map(value).get("depends_on");
      if (dependsOn instanceof List<?> list) {
        problems.add(name + ": depends_on " + list + " only waits for the start, not for health");
      } else if (dependsOn instanceof Map<?, ?> dependencies) {
        dependencies.forEach((dependency, how) -> {
          Object condition = how instanceof Map<?, ?> m ? m.get("condition") : null;
          boolean oneShot = CERTIFICATES.equals(dependency);
          if (!(oneShot ? "service_completed_successfully" : "service_healthy").equals(condition)) {
            problems.add(name + ": depends on " + dependency + " with condition " + condition);
          }
        });
      }
    });
    SERVICE_INSTANCES.forEach(name -> {
      if (!dependencies(name).contains(POSTGRES)) {
        problems.add(name + " does not wait for postgres");
      }
    });
    if (!dependencies(GATEWAY).containsAll(SERVICE_INSTANCES)) {
      problems.add("gateway waits for " + dependencies(GATEWAY) + ", not for all of " + SERVICE_INSTANCES);
    }
    assertThat(problems).isEmpty();
  }

  @Test
  @DisplayName("builds each service of ours from its module's Dockerfile, which copies that module's fat jar")
  void imagesAreBuiltFromModules() throws IOException {
    List<String> modules = MODULE.matcher(Files.readString(root.resolve("pom.xml"))).results()
        .map(m -> m.group(1).trim()).toList();
    List<String> problems = new ArrayList<>();
    for (String name : appServices()) {
      Object build = map(services(compose).get(name)).get("build");
      if (build == null) {
        problems.add(name + " has no build");
        continue;
      }
      Path context = buildContext(build);
      Path dockerfile = context.resolve(build instanceof Map<?, ?> b && b.get("dockerfile") != null
          ? b.get("dockerfile").toString() : "Dockerfile");
      String module = root.relativize(context).toString();
      if (!modules.contains(module)) {
        problems.add(name + ": the build context " + context + " is not a module of pom.xml " + modules);
      } else if (!Files.isRegularFile(dockerfile)) {
        problems.add(name + ": there is no " + dockerfile);
      } else {
        Matcher copy = COPY_JAR.matcher(Files.readString(dockerfile));
        String jar = copy.find() ? copy.group(1) : null;
        String pom = Files.readString(context.resolve("pom.xml"));
        if (!("target/" + module + ".jar").equals(jar)) {
          problems.add(name + ": " + root.relativize(dockerfile) + " copies " + jar + ", not target/" + module + ".jar");
        } else if (!pom.contains("<artifactId>" + module + "</artifactId>") || !pom.contains("maven-shade-plugin")) {
          problems.add(name + ": " + module + "/pom.xml does not build the fat jar " + module + "/target/" + module + ".jar");
        }
      }
    }
    assertThat(problems).isEmpty();
  }

  @Test
  @DisplayName("seeds the cluster only with services of this file")
  void clusterMembersExist() {
    List<String> problems = new ArrayList<>();
    for (String name : appServices()) {
      String members = environment(map(services(compose).get(name))).get("CLUSTER_MEMBERS");
      if (members == null || members.isBlank()) {
        problems.add(name + " sets no CLUSTER_MEMBERS");
        continue;
      }
      for (String member : members.split(",")) {
        String host = member.trim().replaceFirst(":\\d+$", "");
        if (!services(compose).containsKey(host)) {
          problems.add(name + ": CLUSTER_MEMBERS names " + host + ", which is no service of this file");
        }
      }
    }
    assertThat(problems).isEmpty();
  }

  @Test
  @DisplayName("points each service at a database that docker/postgres-init.sql creates")
  void databasesExist() throws IOException {
    Set<String> created = new LinkedHashSet<>();
    CREATE_DATABASE.matcher(Files.readString(root.resolve("docker/postgres-init.sql"))).results()
        .forEach(m -> created.add(m.group(1).toLowerCase()));
    List<String> problems = new ArrayList<>();
    for (String name : SERVICE_INSTANCES) {
      String url = environment(map(services(compose).get(name))).get("DB_URL");
      String database = url == null ? null : url.replaceFirst("\\?.*$", "").replaceFirst(".*/", "");
      if (url == null || !url.startsWith("jdbc:postgresql://postgres:") || !created.contains(database)) {
        problems.add(name + ": DB_URL " + url + " is not a database of the postgres service " + created);
      }
    }
    assertThat(problems).isEmpty();
  }

  @Test
  @DisplayName("publishes the gateway on port 8080")
  void gatewayPublishes8080() {
    Object ports = map(services(compose).get(GATEWAY)).get("ports");
    List<String> published = new ArrayList<>();
    if (ports instanceof List<?> list) {
      for (Object port : list) {
        if (port instanceof Map<?, ?> longSyntax) {
          published.add(longSyntax.get("published") + ":" + longSyntax.get("target"));
        } else {
          published.add(String.valueOf(port).replaceFirst("^[0-9.]+:(?=\\d+:)", "").replaceFirst("/tcp$", ""));
        }
      }
    }
    assertThat(published).contains("8080:8080");
  }

  @Test
  @DisplayName("gives Prometheus the repository's prometheus.yml and every rule file it names, alerts.yml included, "
      + "mounted read-only")
  void prometheusMountsTheRepositoryRules() throws IOException {
    Map<String, Mount> mounts = mounts(map(services(compose).get(PROMETHEUS)));
    Mount config = mounts.get(PROMETHEUS_CONFIG);
    assertThat(config).as("a mount at " + PROMETHEUS_CONFIG + " in " + mounts.values()).isNotNull();
    List<String> problems = new ArrayList<>(config.problems());
    List<?> ruleFiles = list(yaml(config.source()).get("rule_files"));
    if (ruleFiles.isEmpty()) {
      problems.add(root.relativize(config.source()) + " names no rule_files");
    }
    for (Object ruleFile : ruleFiles) {
      Mount rules = mounts.get(String.valueOf(ruleFile));
      if (rules == null) {
        problems.add("the rule file " + ruleFile + " is not mounted");
      } else {
        problems.addAll(rules.problems());
      }
    }
    assertThat(problems).isEmpty();
    assertThat(mounts.values().stream().map(Mount::source)).contains(root.resolve("deploy/prometheus/alerts.yml"));
  }

  @Test
  @DisplayName("has Prometheus scrape every JVM of this file on its plain probe port, in a job named after its service")
  void prometheusScrapesEveryJvm() throws IOException {
    Mount config = mounts(map(services(compose).get(PROMETHEUS))).get(PROMETHEUS_CONFIG);
    Map<String, List<String>> jobs = new LinkedHashMap<>();
    for (Object job : list(yaml(config.source()).get("scrape_configs"))) {
      List<String> targets = new ArrayList<>();
      list(map(job).get("static_configs")).forEach(group -> list(map(group).get("targets"))
          .forEach(target -> targets.add(String.valueOf(target))));
      jobs.put(String.valueOf(map(job).get("job_name")), targets);
    }
    List<String> problems = new ArrayList<>();
    Set<String> expected = new LinkedHashSet<>();
    for (String name : appServices()) {
      Map<String, Object> service = map(services(compose).get(name));
      // The module is the name the service has in discovery, which DiscoveryInstanceMissing matches the job on.
      String job = buildContext(service.get("build")).getFileName().toString();
      String target = name + ":" + probePort(service);
      expected.add(target);
      if (!jobs.getOrDefault(job, List.of()).contains(target)) {
        problems.add(target + " is not a target of the job " + job + ": " + jobs);
      }
    }
    jobs.values().stream().flatMap(List::stream).filter(target -> !expected.contains(target))
        .forEach(target -> problems.add(target + " is scraped but is no JVM of this file"));
    assertThat(problems).isEmpty();
  }

  /** A bind mount: a file of the repository, where the container sees it, and whether it is read-only. */
  record Mount(Path source, String target, boolean readOnly) {
    List<String> problems() {
      List<String> problems = new ArrayList<>();
      if (!Files.isRegularFile(source)) {
        problems.add(target + " is mounted from " + source + ", which is no file of the repository");
      }
      if (!readOnly) {
        problems.add(target + " is not mounted read-only (:ro)");
      }
      return problems;
    }
  }

  /** The service's bind mounts of repository paths, by their target (short syntax "./source:target[:ro]"). */
  private static Map<String, Mount> mounts(Map<String, Object> service) {
    Map<String, Mount> mounts = new LinkedHashMap<>();
    for (Object volume : list(service.get("volumes"))) {
      String[] parts = String.valueOf(volume).split(":");
      if (parts.length >= 2 && parts[0].startsWith(".")) {
        boolean readOnly = parts.length > 2 && List.of(parts[2].split(",")).contains("ro");
        mounts.put(parts[1], new Mount(root.resolve(parts[0]).normalize(), parts[1], readOnly));
      }
    }
    return mounts;
  }

  private static List<?> list(Object value) {
    return value instanceof List<?> l ? l : List.of();
  }

  /** Every variable a compose service sets that the README's table lacks, as "service sets VARIABLE". */
  static List<String> undocumentedVariables(Map<String, Object> compose, Set<String> documented) {
    List<String> missing = new ArrayList<>();
    services(compose).forEach((name, service) -> environment(map(service)).keySet().stream()
        .filter(variable -> !documented.contains(variable))
        .forEach(variable -> missing.add(name + " sets " + variable)));
    return missing;
  }

  @Test
  @DisplayName("gives every JVM its own certificate and key from the certificates volume, and the CA's key to none")
  void everyJvmHasItsOwnCertificate() {
    List<String> problems = new ArrayList<>();
    for (String name : appServices()) {
      Map<String, Object> service = map(services(compose).get(name));
      Map<String, String> environment = environment(service);
      String module = buildContext(service.get("build")).getFileName().toString();
      if (!("/tls/" + module + ".pem").equals(environment.get("TLS_CERT_FILE"))
          || !("/tls/" + module + "-key.pem").equals(environment.get("TLS_KEY_FILE"))
          || !"/tls/ca.pem".equals(environment.get("TLS_CA_FILE"))) {
        problems.add(name + ": TLS files " + environment.get("TLS_CA_FILE") + ", " + environment.get("TLS_CERT_FILE")
            + ", " + environment.get("TLS_KEY_FILE") + " are not its own under /tls");
      }
      if ("off".equals(environment.get("CLUSTER_TLS"))) {
        problems.add(name + ": CLUSTER_TLS=off");
      }
      List<String> volumes = list(service.get("volumes")).stream().map(String::valueOf).toList();
      if (!volumes.contains("tls:/tls:ro") || volumes.stream().anyMatch(v -> v.startsWith("tls-ca:"))) {
        problems.add(name + ": mounts " + volumes + " instead of tls:/tls:ro alone");
      }
      if (!dependencies(name).contains(CERTIFICATES)) {
        problems.add(name + " does not wait for the certificates");
      }
    }
    String made = String.valueOf(map(services(compose).get(CERTIFICATES)).get("entrypoint"));
    for (String module : List.of("gateway", "order-service", "inventory-service")) {
      if (!made.contains(" " + module)) {
        problems.add("the certificates service makes no certificate for " + module + ": " + made);
      }
    }
    assertThat(problems).isEmpty();
  }

  @Test
  @DisplayName("keeps the cluster on an internal network: only the gateway and Prometheus are reachable from outside")
  void clusterOnAnInternalNetwork() {
    Map<String, Object> networks = map(compose.get("networks"));
    List<String> problems = new ArrayList<>();
    if (!Boolean.TRUE.equals(map(networks.get(INTERNAL_NETWORK)).get("internal"))) {
      problems.add("the network " + INTERNAL_NETWORK + " is not internal: " + networks);
    }
    services(compose).forEach((name, value) -> {
      List<String> joined = list(map(value).get("networks")).stream().map(String::valueOf).toList();
      boolean published = map(value).get("ports") != null;
      if (!name.equals(CERTIFICATES) && !joined.contains(INTERNAL_NETWORK)) {
        problems.add(name + " is not on " + INTERNAL_NETWORK + ": " + joined);
      }
      if (published != (name.equals(GATEWAY) || name.equals(PROMETHEUS))) {
        problems.add(name + (published ? " publishes a port" : " publishes no port"));
      }
      if (!published && joined.stream().anyMatch(network -> !network.equals(INTERNAL_NETWORK))) {
        problems.add(name + " joins a network other than " + INTERNAL_NETWORK + ": " + joined);
      }
    });
    assertThat(problems).isEmpty();
  }

  /** Where probes and Prometheus reach a JVM: a service's OPS_PORT, the gateway's HTTP_PORT. */
  private static String probePort(Map<String, Object> service) {
    Map<String, String> environment = environment(service);
    return environment.getOrDefault("OPS_PORT", environment.get("HTTP_PORT"));
  }

  private static List<String> appServices() {
    List<String> all = new ArrayList<>(SERVICE_INSTANCES);
    all.add(GATEWAY);
    return all;
  }

  private static Set<String> dependencies(String name) {
    Object dependsOn = map(services(compose).get(name)).get("depends_on");
    Set<String> names = new LinkedHashSet<>();
    if (dependsOn instanceof Map<?, ?> m) {
      m.keySet().forEach(k -> names.add(k.toString()));
    } else if (dependsOn instanceof List<?> l) {
      l.forEach(k -> names.add(k.toString()));
    }
    return names;
  }

  private static String healthCheck(Map<String, Object> service) {
    Object healthcheck = service.get("healthcheck");
    Object test = healthcheck instanceof Map<?, ?> h ? h.get("test") : null;
    return test instanceof List<?> parts ? String.join(" ", parts.stream().map(String::valueOf).toList())
        : String.valueOf(test);
  }

  private static Path buildContext(Object build) {
    Object context = build instanceof Map<?, ?> b ? b.get("context") : build;
    return root.resolve(String.valueOf(context)).normalize();
  }

  /** The text of the Dockerfile a service is built from, or null. */
  private static String dockerfile(Map<String, Object> service) {
    Object build = service.get("build");
    Path file = build == null ? null : buildContext(build).resolve("Dockerfile");
    try {
      return file != null && Files.isRegularFile(file) ? Files.readString(file) : null;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> services(Map<String, Object> compose) {
    return (Map<String, Object>) compose.getOrDefault("services", Map.of());
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object value) {
    return value instanceof Map<?, ?> ? (Map<String, Object>) value : Map.of();
  }

  /** The environment in either compose form: a map, or a list of KEY=VALUE. */
  private static Map<String, String> environment(Map<String, Object> service) {
    Object environment = service.get("environment");
    Map<String, String> variables = new LinkedHashMap<>();
    if (environment instanceof Map<?, ?> m) {
      m.forEach((k, v) -> variables.put(k.toString(), v == null ? null : v.toString()));
    } else if (environment instanceof List<?> l) {
      l.forEach(entry -> {
        String[] pair = entry.toString().split("=", 2);
        variables.put(pair[0], pair.length > 1 ? pair[1] : null);
      });
    }
    return variables;
  }

  private static Map<String, Object> yaml(Path file) throws IOException {
    try (Reader reader = Files.newBufferedReader(file)) {
      return new Yaml(new SafeConstructor(new LoaderOptions())).load(reader);
    }
  }

  private static Map<String, Object> yamlCopy() {
    try {
      return yaml(root.resolve("docker-compose.yml"));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The repository root: Maven's {@code project.root}, or the parent of this module when run from its folder. */
  static Path projectRoot() {
    String property = System.getProperty("project.root", "");
    Path candidate = property.isBlank() ? Path.of("..") : Path.of(property);
    if (!Files.isRegularFile(candidate.resolve("docker-compose.yml"))) {
      candidate = Path.of("..");
    }
    return candidate.toAbsolutePath().normalize();
  }
}
