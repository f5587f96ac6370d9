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
 * Reads one JSON answer from a node's read-only management endpoint on its management port: plain
 * HTTP on loopback, or HTTPS with the token where the endpoint is exposed ({@link
 * ManagementAccess}). Needs no cluster membership. {@link MembersClient} and persistence's {@code
 * CoordinatedJobsClient} ask through it.
 *
 * <p>Thread safety: immutable; one instance may be shared.
 */
public final class ManagementClient {

  private final HttpClient http;
  private final ObjectMapper json =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  private final Duration timeout;
  private final ManagementAccess access;

  /** A client for a loopback endpoint (plain HTTP, no token). */
  public ManagementClient(Duration timeout) {
    this(timeout, ManagementAccess.plain());
  }

  /**
   * @param timeout limit for connecting and for the whole request
   * @param access plain HTTP, or HTTPS trusting the cluster CA with the token
   */
  public ManagementClient(Duration timeout, ManagementAccess access) {
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    this.access = Objects.requireNonNull(access, "access");
    HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(timeout);
    access.tls().ifPresent(builder::sslContext);
    this.http = builder.build();
  }

  /**
   * GETs {@code path} from the management endpoint at {@code host:port} and reads it as {@code
   * type}.
   *
   * @param what what the answer should be, for the error when it is something else
   * @throws IOException when the node does not answer, or answers with something else
   */
  public <T> T get(String host, int port, String path, Class<T> type, String what) throws IOException {
    URI uri = uri(host, port, path);
    HttpRequest request = request(uri);
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while asking " + uri, e);
    }
    if (response.statusCode() == 401) {
      throw new IOException(uri + " refused the request (HTTP 401): "
          + (access.token().isPresent() ? "the management token is not this node's" : "it needs the management token "
              + "(--token-file, or TESSERA_MANAGEMENT_TOKEN)"));
    }
    if (response.statusCode() != 200) {
      throw new IOException(uri + " answered HTTP " + response.statusCode() + ": " + response.body());
    }
    try {
      return json.readValue(response.body(), type);
    } catch (IOException e) {
      throw new IOException(uri + " did not answer with " + what + ": " + e.getMessage(), e);
    }
  }

  /**
   * Whether the node at {@code host:port} answers {@code GET /ready} with 200: an Up member whose
   * task worker, durable jobs and journal have started ({@code NodeReadiness}). False while it does
   * not answer.
   */
  public boolean ready(String host, int port) {
    HttpRequest request = request(uri(host, port, "/ready"));
    try {
      return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (IOException e) {
      return false;
    }
  }

  private HttpRequest request(URI uri) {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(timeout).GET();
    access.authorization().ifPresent(a -> request.header("Authorization", a));
    return request.build();
  }

  private URI uri(String host, int port, String path) {
    String hostPart = host.contains(":") ? "[" + host + "]" : host;
    return URI.create(access.scheme() + "://" + hostPart + ":" + port + path);
  }
}
