package io.github.vertxsaga.systemtests.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** The alert rules and the Prometheus configuration of deploy/prometheus, as promtool judges them. */
@DisplayName("deploy/prometheus")
class AlertRulesTest {

  @Test
  @DisplayName("alerts.yml passes promtool check rules, lint errors included")
  void rulesAreValid() {
    Path promtool = PrometheusTools.require("promtool");
    PrometheusTools.Run run = PrometheusTools.run(PrometheusTools.folder(), promtool.toString(), "check", "rules",
        "--lint-fatal", PrometheusTools.rules().toString());
    assertThat(run.exitCode()).as(run.output()).isZero();
  }

  @Test
  @DisplayName("every alert passes its promtool unit tests in alerts.test.yml")
  void ruleTestsPass() {
    Path promtool = PrometheusTools.require("promtool");
    PrometheusTools.Run run = PrometheusTools.run(PrometheusTools.folder(), promtool.toString(), "test", "rules",
        PrometheusTools.ruleTests().toString());
    assertThat(run.exitCode()).as(run.output()).isZero();
  }

  @Test
  @DisplayName("prometheus.yml passes promtool check config (its rule file is where docker-compose mounts it)")
  void configIsValid() {
    Path promtool = PrometheusTools.require("promtool");
    PrometheusTools.Run run = PrometheusTools.run(PrometheusTools.folder(), promtool.toString(), "check", "config",
        "--syntax-only", PrometheusTools.config().toString());
    assertThat(run.exitCode()).as(run.output()).isZero();
  }

  @Test
  @DisplayName("each alert has a unit test where it fires and one where it stays silent")
  void everyAlertIsTestedBothWays() throws IOException {
    Set<String> alerts = new TreeSet<>();
    for (Object group : list(yaml(PrometheusTools.rules()).get("groups"))) {
      for (Object rule : list(map(group).get("rules"))) {
        if (map(rule).get("alert") != null) {
          alerts.add(map(rule).get("alert").toString());
        }
      }
    }
    Set<String> fires = new TreeSet<>();
    Set<String> silent = new TreeSet<>();
    for (Object test : list(yaml(PrometheusTools.ruleTests()).get("tests"))) {
      for (Object check : list(map(test).get("alert_rule_test"))) {
        String alert = String.valueOf(map(check).get("alertname"));
        (list(map(check).get("exp_alerts")).isEmpty() ? silent : fires).add(alert);
      }
    }
    List<String> untested = new ArrayList<>();
    alerts.stream().filter(alert -> !fires.contains(alert)).forEach(alert -> untested.add(alert + " never fires"));
    alerts.stream().filter(alert -> !silent.contains(alert)).forEach(alert -> untested.add(alert + " is never silent"));

    assertThat(alerts).as("alerts in alerts.yml").hasSizeGreaterThanOrEqualTo(6);
    assertThat(untested).as("in alerts.test.yml").isEmpty();
  }

  private static Map<String, Object> yaml(Path file) throws IOException {
    try (Reader reader = Files.newBufferedReader(file)) {
      return new Yaml(new SafeConstructor(new LoaderOptions())).load(reader);
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object value) {
    return value instanceof Map<?, ?> ? (Map<String, Object>) value : Map.of();
  }

  private static List<?> list(Object value) {
    return value instanceof List<?> l ? l : List.of();
  }
}
