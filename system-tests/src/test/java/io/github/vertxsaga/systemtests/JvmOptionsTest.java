package io.github.vertxsaga.systemtests;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.systemtests.process.ServiceProcess;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * deploy/jvm.options is the one place where the service JVMs' options are set: bin/run, bin/bench, the Dockerfiles
 * (hence docker-compose.yml and the Kubernetes manifests, which run those images as built) and the system tests'
 * processes all give the JVM that file, and nothing sets options of its own beside it.
 */
@DisplayName("the services' JVM options")
class JvmOptionsTest {
  private static final String FILE = "deploy/jvm.options";
  private static final List<String> MODULES = List.of("gateway", "order-service", "inventory-service");
  /** Variables that would give a JVM options of their own, beside the file. */
  private static final List<String> OPTION_VARIABLES = List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "JAVA_OPTS",
      "_JAVA_OPTIONS");
  /** The java launcher, as a command word of a shell line. */
  private static final Pattern JAVA = Pattern.compile("(?:^|[\\s;(])java\\s");

  private static Path root;

  @BeforeAll
  static void root() {
    root = ComposeFileTest.projectRoot();
  }

  @Test
  @DisplayName("are options this JVM accepts, with the heap and the native areas capped")
  void theFileIsValid() throws Exception {
    List<String> options = options(Files.readString(root.resolve(FILE)));
    assertThat(options).as(FILE).anyMatch(option -> option.startsWith("-Xmx"))
        .contains("-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError")
        .anyMatch(option -> option.startsWith("-XX:MaxMetaspaceSize="))
        .anyMatch(option -> option.startsWith("-XX:MaxDirectMemorySize="))
        .anyMatch(option -> option.startsWith("-XX:ReservedCodeCacheSize="));
    Process java = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "@" + root.resolve(FILE), "-version").redirectErrorStream(true).start();
    String output = new String(java.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(java.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(java.exitValue()).as("java @%s -version said:%n%s", FILE, output).isZero();
  }

  @Test
  @DisplayName("reach every JVM that bin/run and bin/bench start, from the file")
  void scriptsReadTheFile() throws IOException {
    List<String> problems = new ArrayList<>();
    for (String script : List.of("bin/run", "bin/bench")) {
      problems.addAll(scriptProblems(script, Files.readString(root.resolve(script))));
    }
    assertThat(problems).isEmpty();
  }

  @Test
  @DisplayName("would notice a script that starts a service JVM without the file")
  void noticesAScriptWithoutTheFile() throws IOException {
    String run = Files.readString(root.resolve("bin/run"));
    String changed = run.replaceFirst(Pattern.quote("java \"@$JVM_OPTIONS\" -jar \"gateway/"), "java -jar \"gateway/");
    assertThat(changed).isNotEqualTo(run);
    assertThat(scriptProblems("bin/run", changed)).singleElement().asString().contains("gateway/target/gateway.jar");
  }

  @Test
  @DisplayName("are built beside each jar and run by each Dockerfile's entry point")
  void imagesCarryTheFile() throws IOException {
    String source = Files.readString(root.resolve(FILE));
    List<String> problems = new ArrayList<>();
    for (String module : MODULES) {
      Path copied = root.resolve(module).resolve("target/jvm.options");
      if (!Files.isRegularFile(copied) || !Files.readString(copied).equals(source)) {
        problems.add(module + ": the build did not put " + FILE + " at " + root.relativize(copied));
      }
      String dockerfile = Files.readString(root.resolve(module).resolve("Dockerfile"));
      if (!Pattern.compile("(?m)^COPY\\s+target/jvm\\.options\\s+/app/jvm\\.options\\s*$").matcher(dockerfile).find()) {
        problems.add(module + ": its Dockerfile does not COPY target/jvm.options /app/jvm.options");
      }
      Matcher entrypoint = Pattern.compile("(?m)^ENTRYPOINT\\s+(.*)$").matcher(dockerfile);
      if (!entrypoint.find() || !entrypoint.group(1).contains("java @/app/jvm.options -jar /app/" + module + ".jar")) {
        problems.add(module + ": its ENTRYPOINT does not run java @/app/jvm.options -jar /app/" + module + ".jar");
      }
      OPTION_VARIABLES.stream().filter(dockerfile::contains)
          .forEach(variable -> problems.add(module + ": its Dockerfile sets " + variable));
    }
    assertThat(problems).isEmpty();
  }

  @Test
  @DisplayName("are not replaced or added to by docker-compose.yml or the Kubernetes manifests")
  void deploymentsUseTheImagesAsBuilt() throws IOException {
    List<String> problems = new ArrayList<>();
    Map<String, Object> compose;
    try (Reader reader = Files.newBufferedReader(root.resolve("docker-compose.yml"))) {
      compose = new Yaml(new SafeConstructor(new LoaderOptions())).load(reader);
    }
    KubernetesManifests.map(compose.get("services")).forEach((name, value) -> {
      Map<String, Object> service = KubernetesManifests.map(value);
      String image = String.valueOf(service.get("image"));
      if (MODULES.stream().noneMatch(module -> image.equals("vertx-saga/" + module)) || "certificates".equals(name)) {
        return; // PostgreSQL, Prometheus, and the one-shot that runs the certificate tool
      }
      for (String key : List.of("entrypoint", "command")) {
        if (service.containsKey(key)) {
          problems.add("docker-compose.yml: " + name + " replaces the image's " + key);
        }
      }
      String environment = String.valueOf(service.get("environment"));
      OPTION_VARIABLES.stream().filter(environment::contains)
          .forEach(variable -> problems.add("docker-compose.yml: " + name + " sets " + variable));
    });
    for (KubernetesManifests.Pod pod : KubernetesManifests.load(root.resolve("deploy/kubernetes")).pods()) {
      for (String key : List.of("command", "args")) {
        if (pod.container().containsKey(key)) {
          problems.add("deploy/kubernetes: " + pod.deployment() + " replaces the image's " + key);
        }
      }
      OPTION_VARIABLES.stream().filter(pod.environment()::containsKey)
          .forEach(variable -> problems.add("deploy/kubernetes: " + pod.deployment() + " sets " + variable));
    }
    assertThat(problems).isEmpty();
  }

  @Test
  @DisplayName("are those the system tests' processes run with")
  void processesRunWithTheFile() {
    assertThat(ServiceProcess.jvmOptions()).first().isEqualTo("@" + root.resolve(FILE));
  }

  /** What is wrong with a script's java commands: one that starts a service jar without the file. */
  private static List<String> scriptProblems(String script, String text) {
    List<String> problems = new ArrayList<>();
    if (!text.contains("JVM_OPTIONS=\"$ROOT/" + FILE + "\"")) {
      problems.add(script + " does not set JVM_OPTIONS=\"$ROOT/" + FILE + "\"");
    }
    int services = 0;
    for (String command : text.replace("\\\n", " ").split("\n")) { // one command per line, continuations joined
      boolean startsService = !command.trim().startsWith("#") && JAVA.matcher(command).find()
          && MODULES.stream().anyMatch(module -> command.contains(module + ".jar"))
          && !command.contains("CertificateFiles"); // the certificate tool, run from the gateway's jar
      if (startsService) {
        services++;
        if (!command.contains("java \"@$JVM_OPTIONS\" ")) {
          problems.add(script + " starts a service JVM without \"@$JVM_OPTIONS\": " + command.trim());
        }
      }
    }
    if (services == 0) {
      problems.add(script + " starts no service jar that this test recognises");
    }
    return problems;
  }

  /** The options of an argument file: its words, without comments. */
  private static List<String> options(String file) {
    return file.lines().map(line -> line.replaceFirst("#.*", "").trim()).filter(line -> !line.isEmpty())
        .flatMap(line -> Arrays.stream(line.split("\\s+"))).toList();
  }
}
