package dev.tessera.runtime.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.runtime.node.NodeConfigLoader;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * GET /metrics serves the node's meters in Prometheus' text format (membership, the JVM's own);
 * with metrics off it answers 404; job labels stay within their limit and an ended job's series go.
 */
class NodeMetricsTest {

  private static HttpResponse<String> get(ComputeNode node, String path) throws Exception {
    URI uri = node.managementUri().orElseThrow().resolve(path);
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static ComputeNode node(Map<String, Object> more) {
    java.util.HashMap<String, Object> c = new java.util.HashMap<>(Map.of(
        "tessera.node.port", 0, "tessera.node.management.port", 0));
    c.putAll(more);
    return ComputeNode.start(NodeConfigLoader.load(Optional.empty(), c));
  }

  @Test
  void metricsAreServedInPrometheusTextFormat() throws Exception {
    try (ComputeNode node = node(Map.of())) {
      node.whenUp().toCompletableFuture().get(30, TimeUnit.SECONDS);
      HttpResponse<String> response = get(node, "/metrics");

      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("Content-Type")).get().asString()
          .startsWith("text/plain").contains("version=0.0.4");
      assertThat(response.body())
          .contains("# TYPE tessera_cluster_members gauge")
          .contains("tessera_cluster_members{status=\"up\"} 1.0")
          .contains("tessera_cluster_unreachable_members 0.0")
          .contains("jvm_memory_used_bytes")
          .doesNotContain("system_cpu_count");
      if (Promtool.available()) {
        assertThat(Promtool.check(response.body())).as("promtool check metrics").isEmpty();
      }
    }
  }

  @Test
  void withMetricsOffTheEndpointSaysSo() throws Exception {
    try (ComputeNode node = node(Map.of("tessera.metrics.enabled", false))) {
      node.whenUp().toCompletableFuture().get(30, TimeUnit.SECONDS);
      HttpResponse<String> response = get(node, "/metrics");

      assertThat(response.statusCode()).isEqualTo(404);
      assertThat(response.body()).contains("tessera.metrics.enabled = off");
      assertThat(NodeMetrics.get(node.system()).scrape()).isEmpty();
    }
  }

  @Test
  void pausedMetersRecordNothingAndResumeWhereTheyWere() {
    try (ComputeNode node = node(Map.of())) {
      NodeMetrics metrics = NodeMetrics.get(node.system());
      Counter counter = Counter.builder("tessera.test.paused").register(metrics.registry());
      counter.increment();
      metrics.recording(false);
      counter.increment();
      assertThat(metrics.scrape().orElseThrow()).contains("tessera_test_paused_total 1.0");
      metrics.recording(true);
      counter.increment();
      assertThat(metrics.scrape().orElseThrow()).contains("tessera_test_paused_total 2.0");
    }
  }

  @Test
  void jobLabelsStayWithinTheirLimitAndAnEndedJobsSeriesGo() throws Exception {
    try (ComputeNode node = node(Map.of("tessera.metrics.job-labels", 2, "tessera.metrics.ended-job-series-kept", "0s"))) {
      NodeMetrics metrics = NodeMetrics.get(node.system());
      JobLabels labels = metrics.jobLabels();
      assertThat(labels.open("a")).isEqualTo("a");
      assertThat(labels.open("b")).isEqualTo("b");
      assertThat(labels.open("c")).as("beyond the limit").isEqualTo(JobLabels.OTHER);
      assertThat(labels.open("a")).as("a job already labelled keeps its value").isEqualTo("a");

      Counter counter = Counter.builder("tessera.test.things").tag("job_id", "a").register(metrics.registry());
      counter.increment();
      assertThat(metrics.scrape().orElseThrow()).contains("tessera_test_things_total{job_id=\"a\"} 1.0");
      labels.ended("a", "a", metrics.registry(), List.<Meter>of(counter));
      assertThat(metrics.scrape().orElseThrow()).doesNotContain("tessera_test_things_total{job_id=\"a\"}");
      assertThat(labels.held()).containsExactlyInAnyOrder("b");
      assertThat(labels.open("c")).as("the freed value goes to the next job").isEqualTo("c");
    }
  }
}
