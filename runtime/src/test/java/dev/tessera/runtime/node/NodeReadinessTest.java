package dev.tessera.runtime.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** GET /ready waits for every registered part of a node; GET /alive answers while it runs. */
class NodeReadinessTest {

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private HttpResponse<String> get(URI base, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void readyOnlyOnceEveryPartHasStartedAndReportsNoProblem() throws Exception {
    try (ComputeNode node = ComputeNode.start(NodeConfigLoader.load(Optional.empty(), Map.of(
        "tessera.node.port", 0, "tessera.node.management.port", 0)))) {
      CompletableFuture<Void> started = new CompletableFuture<>();
      AtomicReference<Optional<String>> problem = new AtomicReference<>(Optional.empty());
      NodeReadiness.get(node.system()).register("test part", started, problem::get);
      node.whenUp().toCompletableFuture().get(30, TimeUnit.SECONDS);
      URI base = URI.create(node.managementUri().orElseThrow() + "/");

      assertThat(get(base, "alive").statusCode()).isEqualTo(200);
      HttpResponse<String> notYet = get(base, "ready");
      assertThat(notYet.statusCode()).isEqualTo(500);
      assertThat(notYet.body()).contains("test part has not started yet");

      started.complete(null);
      assertThat(get(base, "ready").statusCode()).isEqualTo(200);

      problem.set(Optional.of("journal unreachable"));
      HttpResponse<String> problematic = get(base, "ready");
      assertThat(problematic.statusCode()).isEqualTo(500);
      assertThat(problematic.body()).contains("test part: journal unreachable");
      assertThat(get(base, "alive").statusCode()).isEqualTo(200);
    }
  }
}
