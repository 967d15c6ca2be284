package io.github.vertxsaga.platform.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.Span;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class NodeTracingTest {

  @Test
  @DisplayName("without an endpoint a span is not recorded, but has ids that its children and the next hop inherit")
  void offStillPropagates() {
    try (NodeTracing tracing = NodeTracing.start(TracingSettings.off("test"))) {
      Span parent = tracing.tracer().spanBuilder("parent").startSpan();
      Span child = tracing.tracer().spanBuilder("child").setParent(io.opentelemetry.context.Context.root().with(parent))
          .startSpan();
      W3cTraceContext sent = W3cTraceContext.of(child);
      Span remoteChild = tracing.tracer().spanBuilder("next hop").setParent(sent.asParent()).startSpan();

      assertThat(parent.isRecording()).isFalse();
      assertThat(parent.getSpanContext().isValid()).isTrue();
      assertThat(child.getSpanContext().getTraceId()).isEqualTo(parent.getSpanContext().getTraceId());
      assertThat(sent.traceparent()).startsWith("00-" + parent.getSpanContext().getTraceId() + "-");
      assertThat(remoteChild.getSpanContext().getTraceId()).isEqualTo(parent.getSpanContext().getTraceId());
    }
  }
}
