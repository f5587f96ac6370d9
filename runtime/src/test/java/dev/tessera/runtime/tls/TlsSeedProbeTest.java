package dev.tessera.runtime.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.runtime.node.ClusterCertificates;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsSeedProbeTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  @TempDir Path dir;

  /** A server that accepts connections one after another and does {@code each} with them. */
  private interface Handler {
    void handle(Socket socket) throws Exception;
  }

  /** Probes {@code server} while it does {@code each} with every connection; closes it after. */
  private static TlsSeedProbe.Answer probeWhileServing(ServerSocket server, Handler each) throws Exception {
    ExecutorService thread = Executors.newSingleThreadExecutor();
    try (server) {
      thread.submit(() -> {
        while (!server.isClosed()) {
          try (Socket socket = server.accept()) {
            each.handle(socket);
          } catch (Exception e) {
            // the probe's connection failing is what these servers are for
          }
        }
        return null;
      });
      return TlsSeedProbe.probe("127.0.0.1", server.getLocalPort(), TIMEOUT);
    } finally {
      thread.shutdownNow();
    }
  }

  @Test
  void aSeedThatRequiresACertificateOfItsClusterSpeaksTls() throws Exception {
    ClusterCertificates.generate(dir, "key.p12", "trust.p12", "cluster", "secret-pw", 2);
    char[] password = "secret-pw".toCharArray();
    KeyStore keys = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(dir.resolve("key.p12"))) {
      keys.load(in, password);
    }
    KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keyManagers.init(keys, password);
    KeyStore trusted = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(dir.resolve("trust.p12"))) {
      trusted.load(in, password);
    }
    TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trustManagers.init(trusted);
    SSLContext context = SSLContext.getInstance("TLSv1.3");
    context.init(keyManagers.getKeyManagers(), trustManagers.getTrustManagers(), null);
    SSLServerSocket server = (SSLServerSocket) context.getServerSocketFactory()
        .createServerSocket(0, 5, InetAddress.getLoopbackAddress());
    server.setNeedClientAuth(true); // as a Tessera node: mutual authentication

    assertThat(probeWhileServing(server, socket -> ((SSLSocket) socket).startHandshake()))
        .isEqualTo(TlsSeedProbe.Answer.TLS);
  }

  @Test
  void aSeedThatClosesAConnectionItCannotReadDoesNotSpeakTls() throws Exception {
    // As a node without TLS does: the first bytes are not its protocol's, so it hangs up.
    ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());

    assertThat(probeWhileServing(server, socket -> socket.getInputStream().read(new byte[5])))
        .isEqualTo(TlsSeedProbe.Answer.NOT_TLS);
  }

  @Test
  void aSeedThatAnswersSomethingElseDoesNotSpeakTls() throws Exception {
    ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());

    assertThat(probeWhileServing(server, socket -> {
      socket.getOutputStream().write("HTTP/1.1 400 Bad Request\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
    })).isEqualTo(TlsSeedProbe.Answer.NOT_TLS);
  }

  @Test
  void noSeedListeningIsNoAnswer() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = free.getLocalPort();
    }
    assertThat(TlsSeedProbe.probe("127.0.0.1", port, TIMEOUT)).isEqualTo(TlsSeedProbe.Answer.NO_ANSWER);
  }

  @Test
  void theCauseNamesTheSeedAndWhatToDo() {
    assertThat(TlsSeedProbe.seedSpeaksTlsMessage("10.0.0.1:25520"))
        .isEqualTo("the seed at 10.0.0.1:25520 speaks TLS and this node does not: start it with --tls-dir holding the "
            + "cluster's certificates (those `tessera certs` made)");
  }
}
