package dev.tessera.runtime.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.runtime.cluster.JoinRefusals;
import dev.tessera.runtime.logging.OncePerInterval;
import java.time.Duration;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

class TlsRefusalsTest {

  private final JoinRefusals joinRefusals = JoinRefusals.ID.createExtension(null);
  private final TlsRefusals refusals = new TlsRefusals(joinRefusals, new OncePerInterval(Duration.ofMinutes(1), System::nanoTime));

  @Test
  void aSeedThatRefusedThisNodesCertificateIsAJoinCauseNamingTheSeed() {
    refusals.handshakeFailed(false, "127.0.0.1", 25520, new SSLHandshakeException("Received fatal alert: bad_certificate"));

    assertThat(joinRefusals.causes()).containsExactly(
        "the seed at 127.0.0.1:25520 refused this node's certificate (Received fatal alert: bad_certificate): "
            + "this node was not given the cluster's certificates (--tls-dir)");
  }

  @Test
  void aFailureOnTheAcceptingSideIsNoJoinCause() {
    refusals.handshakeFailed(true, "127.0.0.1", 25520, new SSLHandshakeException("Received fatal alert: certificate_unknown"));
    refusals.handshakeFailed(true, "127.0.0.1", 25520, new SSLHandshakeException("Unsupported or unrecognized SSL message"));

    assertThat(joinRefusals.causes()).isEmpty();
  }

  @Test
  void messagesNameTheCertificateAndTheSeed() {
    assertThat(TlsRefusals.refusedSeedMessage("127.0.0.1:25520", "CN=cluster, self-signed", "unable to find valid certification path"))
        .isEqualTo("the seed at 127.0.0.1:25520 presented a certificate this node does not trust (CN=cluster, self-signed; "
            + "unable to find valid certification path): it belongs to another cluster, or this node was given another "
            + "cluster's certificates (--tls-dir)");
    assertThat(TlsRefusals.refusedConnectingNodeMessage("CN=intruder, self-signed", "PKIX"))
        .startsWith("refused a node that tried to connect: its certificate (CN=intruder, self-signed) is not one this cluster trusts");
    assertThat(TlsRefusals.repeats(0)).isEmpty();
    assertThat(TlsRefusals.repeats(12)).isEqualTo(" (12 more times in the last minute)");
  }
}
