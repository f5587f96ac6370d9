package dev.tessera.runtime.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A management endpoint exposed off loopback on a TLS node serves HTTPS only and refuses every
 * request without the token; a node exposed without a token does not start.
 */
class ManagementSecurityTest {

  static final String TOKEN = "a-management-token-of-32-chars!!";

  @TempDir static Path dir;
  static Path node;
  static String password;

  @BeforeAll
  static void certificates() throws Exception {
    Path ca = dir.resolve("certs");
    ClusterCa.init(ca, "test-ca", 2);
    node = ClusterCa.issue(ca, "127.0.0.1", List.of("localhost"), 2);
    password = Files.readString(node.resolve(ClusterCa.NODE_PASSWORD)).trim();
  }

  private static Map<String, Object> tlsNode(Map<String, Object> more) {
    Map<String, Object> c = new HashMap<>(Map.of(
        "tessera.node.port", 0,
        "tessera.node.management.port", 0,
        // Every interface: off loopback, yet reachable here at 127.0.0.1.
        "tessera.node.management.host", "0.0.0.0",
        "tessera.node.tls.enabled", true,
        "tessera.node.tls.key-store", node.resolve("node.p12").toString(),
        "tessera.node.tls.trust-store", node.resolve("trust.p12").toString(),
        "tessera.node.tls.password", password));
    c.putAll(more);
    return c;
  }

  @Test
  void exposedItServesHttpsAndRefusesARequestWithoutTheToken() throws Exception {
    try (ComputeNode n = ComputeNode.start(NodeConfigLoader.load(Optional.empty(), tlsNode(Map.of(
        "tessera.node.management.token", TOKEN))))) {
      n.whenUp().toCompletableFuture().get(30, TimeUnit.SECONDS);
      int port = n.managementUri().orElseThrow().getPort();
      HttpClient https = HttpClient.newBuilder().sslContext(trustingTheClusterCa()).connectTimeout(Duration.ofSeconds(5)).build();
      URI alive = URI.create("https://127.0.0.1:" + port + "/alive");

      assertThat(send(https, alive, Optional.empty()).statusCode()).as("no token").isEqualTo(401);
      assertThat(send(https, alive, Optional.of("wrong-token-wrong-token")).statusCode()).as("a wrong token").isEqualTo(401);
      assertThat(send(https, URI.create("https://127.0.0.1:" + port + "/cluster/members"), Optional.empty()).statusCode())
          .as("membership without the token").isEqualTo(401);
      HttpResponse<String> withToken = send(https, alive, Optional.of(TOKEN));
      assertThat(withToken.statusCode()).as("the token").isEqualTo(200);

      // Plain HTTP gets no answer it could read.
      HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      assertThatThrownBy(() -> send(plain, URI.create("http://127.0.0.1:" + port + "/alive"), Optional.of(TOKEN)))
          .isInstanceOf(IOException.class);
    }
  }

  @Test
  void exposedWithoutATokenItDoesNotStart() {
    assertThatThrownBy(() -> ComputeNode.start(NodeConfigLoader.load(Optional.empty(), tlsNode(Map.of()))).close())
        .isInstanceOfSatisfying(NodeStartException.class,
            e -> assertThat(e.reason()).isEqualTo(NodeStartException.Reason.NOT_SECURED))
        .hasMessageContaining("needs a token of at least 16 characters in tessera.node.management.token-file");
  }

  private static HttpResponse<String> send(HttpClient client, URI uri, Optional<String> token) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5));
    token.ifPresent(t -> request.header("Authorization",
        "Basic " + Base64.getEncoder().encodeToString(("tessera:" + t).getBytes(StandardCharsets.UTF_8))));
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static SSLContext trustingTheClusterCa() throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(node.resolve("trust.p12"))) {
      trust.load(in, password.toCharArray());
    }
    TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, factory.getTrustManagers(), null);
    return context;
  }
}
