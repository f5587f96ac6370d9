package dev.tessera.persistence.jobs;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Objects;

/**
 * Asks a node's management endpoint which durable jobs it coordinates ({@link
 * CoordinatedJobsRoute}). Needs no cluster membership: the chaos harness asks the nodes it runs
 * while it is none of their members.
 *
 * <pre>{@code
 * CoordinatedJobs.Report report = new CoordinatedJobsClient(Duration.ofSeconds(1)).fetch("127.0.0.1", 7626);
 * }</pre>
 *
 * <p>Thread safety: immutable; one instance may be shared.
 */
public final class CoordinatedJobsClient {

  private final HttpClient http;
  private final ObjectMapper json =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  private final Duration timeout;

  /** @param timeout limit for connecting and for the whole request */
  public CoordinatedJobsClient(Duration timeout) {
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  /**
   * The jobs coordinated on the node whose management endpoint is {@code host:port}.
   *
   * @throws IOException when the node does not answer, or answers with something else
   */
  public CoordinatedJobs.Report fetch(String host, int port) throws IOException {
    String hostPart = host.contains(":") ? "[" + host + "]" : host;
    URI uri = URI.create("http://" + hostPart + ":" + port + CoordinatedJobsRoute.PATH);
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).GET().build();
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while asking " + uri, e);
    }
    if (response.statusCode() != 200) {
      throw new IOException(uri + " answered HTTP " + response.statusCode() + ": " + response.body());
    }
    try {
      return json.readValue(response.body(), CoordinatedJobs.Report.class);
    } catch (IOException e) {
      throw new IOException(uri + " did not answer with the jobs it coordinates: " + e.getMessage(), e);
    }
  }
}
