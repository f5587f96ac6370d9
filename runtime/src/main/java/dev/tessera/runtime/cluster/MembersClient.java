package dev.tessera.runtime.cluster;

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
 * Reads membership from a node's management endpoint. Used by {@code cluster status}, {@code
 * cluster local} and the multi-process tests.
 *
 * <p>Thread safety: immutable; one instance may be shared.
 */
public final class MembersClient {

  private final HttpClient http;
  private final ObjectMapper json =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  private final Duration timeout;

  /** @param timeout limit for connecting and for the whole request */
  public MembersClient(Duration timeout) {
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  /**
   * Fetches the membership as the node at {@code host:port} (its management port) sees it.
   *
   * @throws IOException when the node does not answer, or answers with something else than
   *     membership
   */
  public MembersView fetch(String host, int port) throws IOException {
    String hostPart = host.contains(":") ? "[" + host + "]" : host;
    URI uri = URI.create("http://" + hostPart + ":" + port + "/cluster/members");
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
      return json.readValue(response.body(), MembersView.class);
    } catch (IOException e) {
      throw new IOException(uri + " did not answer with cluster membership: " + e.getMessage(), e);
    }
  }
}
