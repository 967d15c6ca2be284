package io.github.vertxsaga.systemtests.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.platform.cluster.ClusterNode;
import io.github.vertxsaga.platform.testing.Eventually;
import io.github.vertxsaga.systemtests.Http;
import io.github.vertxsaga.systemtests.User;
import io.github.vertxsaga.systemtests.process.ParkedEvents;
import io.github.vertxsaga.systemtests.process.ProcessCluster;
import io.github.vertxsaga.systemtests.process.Service;
import io.github.vertxsaga.systemtests.process.ServiceProcess;
import io.github.vertxsaga.systemtests.process.Topology;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * alerts.yml on a real Prometheus scraping the real processes. OutboxDeadLetter has no {@code for:}, so the rules run
 * as they are in production, with no copy shortened for the test.
 *
 * <p>The dead letter is an answer order-service cannot apply: the test's own cluster node hands inventory an
 * OrderPlaced for an order order-service never took, inventory rejects it (unknown SKU), and order-service refuses
 * that answer for an unknown order until inventory parks it. The operator's repair is to create the missing order
 * and requeue; order-service's H2 file is opened with AUTO_SERVER so that the test can write it while the service runs.
 */
@DisplayName("Alerts on a real Prometheus")
class AlertsFireIT {
  private static final String SKU = "alerts-it-unknown-sku";
  private static final Duration START = Duration.ofSeconds(120);
  /** Scrape, outbox sampling (every 5 s) and rule evaluation, on a loaded machine. */
  private static final Duration ALERT = Duration.ofSeconds(60);
  private static final Duration POLL = Duration.ofMillis(250);
  private static final String ALERT_NAME = "OutboxDeadLetter";
  /** A metric name in PromQL: snake_case with an underscore, not followed by "(" (label_replace, group_left). */
  private static final Pattern METRIC = Pattern.compile("\\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\\b(?!\\s*\\()");

  @RegisterExtension
  final ProcessCluster cluster = new ProcessCluster();

  @Test
  @DisplayName("a dead letter fires OutboxDeadLetter within seconds, and requeuing it clears the alert")
  void deadLetterFiresAndClears() throws Exception {
    Path binary = PrometheusTools.require("prometheus");
    long begun = System.nanoTime();
    Path orderFiles = Files.createTempDirectory("alerts-it-order-");
    cluster.onClose(() -> deleteQuietly(orderFiles));
    // Parked after the second refusal instead of the eighth: the alert, not the retries, is under test.
    // H2 refuses AUTO_SERVER with the service's DB_CLOSE_ON_EXIT=FALSE; closing on exit only matters to a graceful
    // stop, and this test kills its processes.
    Topology topology = Topology.of(cluster)
        .inventory("inventory", Map.of("OUTBOX_MAX_FAILURES", "2"))
        .order("order", Map.of("DB_URL",
            "jdbc:h2:file:" + orderFiles.resolve("order") + ";AUTO_SERVER=TRUE;DB_CLOSE_ON_EXIT=TRUE"))
        .gateway("gateway")
        .start();
    ServiceProcess inventory = topology.inventories().get(0);
    ServiceProcess order = topology.orders().get(0);
    ServiceProcess gateway = topology.gateway();
    long processesUp = System.nanoTime();

    ClusterNode node = ParkedEvents.joinAsOperator(cluster, "alerts-test");
    try (PrometheusServer prometheus = PrometheusServer.start(binary, cluster.logDir(), Map.of(
        Service.INVENTORY.serviceName(), List.of(scraped(inventory)),
        Service.ORDER.serviceName(), List.of(scraped(order)),
        Service.GATEWAY.serviceName(), List.of(gateway.address())))) {
      awaitHealthyScrapes(prometheus);
      assertThat(prometheus.alerts()).as("alerts pending or firing on a healthy system").isEmpty();
      long ready = System.nanoTime();

      String orderId = UUID.randomUUID().toString();
      ParkedEvents.placeUnissuedOrder(node, orderId, SKU);
      JsonObject alert = Eventually.value(ALERT_NAME + " fires", ALERT, POLL, () -> alerts(prometheus, ALERT_NAME).stream()
          .filter(a -> "firing".equals(a.getString("state"))).findFirst());
      long fired = System.nanoTime();
      assertThat(alert.getJsonObject("labels").getMap()).containsEntry("service", "inventory-service")
          .containsEntry("severity", "page");

      ParkedEvents.createMissingOrder(order, orderId, SKU);
      requeue(gateway, orderId);
      Eventually.until("the requeued answer settles order " + orderId, ALERT, POLL, () -> "REJECTED".equals(
          Http.as(User.ADMIN).get(gateway.uri("/api/orders/" + orderId)).json().getString("status")));
      Eventually.until(ALERT_NAME + " clears", ALERT, POLL, () -> alerts(prometheus, ALERT_NAME).isEmpty());
      long cleared = System.nanoTime();
      System.out.printf("processes ready: %d ms; Prometheus scraping them all: %d ms; dead letter -> firing: %d ms; "
          + "repair and requeue -> cleared: %d ms; whole test: %d ms%n", ms(processesUp - begun),
          ms(ready - processesUp), ms(fired - ready), ms(cleared - fired), ms(cleared - begun));
    } finally {
      node.vertx().close().await(30, TimeUnit.SECONDS);
    }
  }

  /** Every target up, every rule evaluated without error, every metric a rule names scraped. */
  private static void awaitHealthyScrapes(PrometheusServer prometheus) throws Exception {
    Eventually.until("Prometheus scrapes all 3 JVMs", START, POLL, () -> prometheus.targets().size() == 3
        && prometheus.targets().stream().map(JsonObject.class::cast).allMatch(t -> "up".equals(t.getString("health"))));
    Eventually.until("every rule is evaluated, without error", ALERT, POLL, () -> prometheus.rules().stream()
        .allMatch(rule -> "ok".equals(rule.getString("health"))));
    for (String metric : ruleMetrics()) {
      Eventually.until("Prometheus has scraped " + metric, ALERT, POLL, () -> !prometheus.query(metric).isEmpty());
    }
  }

  /** The metric names in the rules' expressions (quoted label values left out). */
  private static Set<String> ruleMetrics() throws Exception {
    Set<String> names = new TreeSet<>();
    Map<String, Object> rules;
    try (Reader reader = Files.newBufferedReader(PrometheusTools.rules())) {
      rules = new Yaml(new SafeConstructor(new LoaderOptions())).load(reader);
    }
    new JsonObject(rules).getJsonArray("groups").stream().map(JsonObject.class::cast)
        .flatMap(group -> group.getJsonArray("rules").stream().map(JsonObject.class::cast))
        .map(rule -> rule.getString("expr").replaceAll("\"[^\"]*\"", "\"\""))
        .forEach(expr -> METRIC.matcher(expr).results().forEach(m -> names.add(m.group())));
    assertThat(names).as("metrics named by alerts.yml").contains("outbox_dead_letters", "gateway_discovered_instances");
    return names;
  }

  /** A service's metrics on its plain probe port: Prometheus holds no client certificate. */
  private static String scraped(ServiceProcess service) {
    return ProcessCluster.HOST + ":" + service.environment().get("OPS_PORT");
  }

  /** Through the gateway's admin API, as an operator would. */
  private static void requeue(ServiceProcess gateway, String orderId) {
    String id = Http.as(User.ADMIN).get(gateway.uri("/api/admin/dead-letters")).json().getJsonArray("items").stream()
        .map(JsonObject.class::cast).filter(item -> orderId.equals(item.getString("aggregateId"))).findFirst()
        .orElseThrow(() -> new AssertionError("order " + orderId + " has no dead letter")).getString("id");
    Http.Reply requeued = Http.as(User.ADMIN).post(gateway.uri("/api/admin/dead-letters/" + id + "/requeue"));
    assertThat(requeued.status()).as(requeued.toString()).isEqualTo(202);
  }

  private static List<JsonObject> alerts(PrometheusServer prometheus, String name) {
    return prometheus.alerts().stream().map(JsonObject.class::cast)
        .filter(alert -> name.equals(alert.getJsonObject("labels").getString("alertname"))).toList();
  }

  private static long ms(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }

  private static void deleteQuietly(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      System.out.println("could not delete " + dir + ": " + e);
    }
  }
}
