package io.github.vertxsaga.platform.tracing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.vertxsaga.platform.config.Env;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class TracingSettingsTest {

  @Test
  @DisplayName("without OTEL_EXPORTER_OTLP_ENDPOINT nothing is recorded, under the node's name")
  void offByDefault() {
    TracingSettings settings = TracingSettings.from(new Env(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", " ")), "gateway");
    assertThat(settings.recording()).isFalse();
    assertThat(settings.serviceName()).isEqualTo("gateway");
    assertThat(settings.scheduleDelayMs()).isEqualTo(TracingSettings.DEFAULT_SCHEDULE_DELAY_MS);
  }

  @Test
  @DisplayName("an endpoint turns recording on; the service name and the batch delay can be set")
  void endpointTurnsItOn() {
    TracingSettings settings = TracingSettings.from(new Env(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT",
        "http://collector:4318/", "OTEL_SERVICE_NAME", "orders-eu", "OTEL_BSP_SCHEDULE_DELAY", "200")), "order-service");
    assertThat(settings.recording()).isTrue();
    assertThat(settings.otlpEndpoint()).isEqualTo("http://collector:4318");
    assertThat(settings.serviceName()).isEqualTo("orders-eu");
    assertThat(settings.scheduleDelayMs()).isEqualTo(200);
  }

  @Test
  @DisplayName("a malformed endpoint or delay stops the node naming the variable")
  void badValuesNameTheVariable() {
    assertThatThrownBy(() -> TracingSettings.from(new Env(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318")), "x"))
        .hasMessageContaining("OTEL_EXPORTER_OTLP_ENDPOINT");
    assertThatThrownBy(() -> TracingSettings.from(new Env(Map.of("OTEL_BSP_SCHEDULE_DELAY", "soon")), "x"))
        .hasMessageContaining("OTEL_BSP_SCHEDULE_DELAY");
  }
}
