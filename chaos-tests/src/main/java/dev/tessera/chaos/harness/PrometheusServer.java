package dev.tessera.chaos.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.runtime.launch.FreePorts;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A real Prometheus server (Debian's {@code prometheus} package) for tests: started on loopback with
 * a generated scrape config that scrapes the given management ports' {@code /metrics} every second,
 * its data in a folder of the test's own; {@link #query} asks its HTTP API. Stopped on close.
 */
public final class PrometheusServer implements AutoCloseable {

  static final Path BINARY = Path.of("/usr/bin/prometheus");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Process process;
  private final int port;
  private final Path log;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private PrometheusServer(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
  }

  /** Why a server cannot be started here, if it cannot. */
  public static Optional<String> unavailable() {
    return Files.isExecutable(BINARY) ? Optional.empty() : Optional.of("no " + BINARY + " (apt-get install prometheus)");
  }

  /** Starts a server scraping {@code 127.0.0.1:PORT/metrics} for each of {@code managementPorts}, and waits until it is ready. */
  public static PrometheusServer start(Path dir, List<Integer> managementPorts) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    int port = FreePorts.block(1);
    String targets = managementPorts.stream().map(p -> "'127.0.0.1:" + p + "'").collect(Collectors.joining(", "));
    Path config = Files.writeString(dir.resolve("prometheus.yml"), String.join("\n",
        "global:",
        "  scrape_interval: 1s",
        "  scrape_timeout: 900ms",
        "scrape_configs:",
        "  - job_name: tessera",
        "    metrics_path: /metrics",
        "    static_configs:",
        "      - targets: [" + targets + "]",
        ""));
    Path log = dir.resolve("prometheus.log");
    Process process = new ProcessBuilder(BINARY.toString(), "--config.file=" + config,
        "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port,
        "--storage.tsdb.retention.time=1h", "--log.level=warn")
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    PrometheusServer server = new PrometheusServer(process, port, log);
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!server.ready()) {
      if (!process.isAlive() || System.nanoTime() > deadline) {
        server.close();
        throw new IOException("Prometheus did not become ready: " + Files.readString(log));
      }
      Thread.sleep(100);
    }
    return server;
  }

  private boolean ready() throws InterruptedException {
    try {
      return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/-/ready")).timeout(Duration.ofSeconds(2))
          .build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * The value of an instant PromQL query whose answer is one number (a {@code sum(...)}, say);
   * empty when it has no sample yet.
   */
  public OptionalDouble query(String promql) throws IOException, InterruptedException {
    JsonNode result = queryResult(promql);
    if (result.isEmpty()) {
      return OptionalDouble.empty();
    }
    return OptionalDouble.of(Double.parseDouble(result.get(0).get("value").get(1).asText()));
  }

  /** The {@code data.result} array of an instant query. */
  public JsonNode queryResult(String promql) throws IOException, InterruptedException {
    URI uri = URI.create("http://127.0.0.1:" + port + "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    JsonNode body = JSON.readTree(response.body());
    if (response.statusCode() != 200 || !"success".equals(body.path("status").asText())) {
      throw new IOException("Prometheus refused " + promql + ": HTTP " + response.statusCode() + " " + response.body());
    }
    return body.path("data").path("result");
  }

  /** Each target's scrape health ({@code up}), as Prometheus last saw it: instance to 1 or 0. */
  public String targets() throws IOException, InterruptedException {
    return queryResult("up").toString();
  }

  public Path log() {
    return log;
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
