package dev.tessera.runtime.tls;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Finds out whether a seed speaks TLS, for a node without TLS whose seeds do not let it join. Such
 * a node's plain connection is closed by a TLS seed without a word it can read, exactly as a dead
 * or unreachable seed's would be; this starts a TLS handshake with the seed instead, and a seed
 * that answers with TLS (a handshake, or a TLS alert) is a TLS seed.
 *
 * <p>The probe sends no certificate and trusts whatever the seed presents, only to learn that it is
 * TLS: nothing is sent over the connection, which the seed refuses anyway (the seed logs one
 * "no certificate issued by this cluster's CA" line a minute for it).
 */
public final class TlsSeedProbe {

  private TlsSeedProbe() {}

  /** What the probe learnt. */
  public enum Answer {
    /** The seed answered in TLS. */
    TLS,
    /** The seed answered, but not in TLS (or closed the connection without a TLS answer). */
    NOT_TLS,
    /** Nothing answered: no connection, or no answer within the timeout. */
    NO_ANSWER
  }

  /** Starts a TLS handshake with {@code host:port}; connecting, and each read, waits up to {@code timeout}. */
  public static Answer probe(String host, int port, Duration timeout) {
    SSLContext context;
    try {
      context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[] {new AnyCertificate()}, new SecureRandom());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no TLS in this JVM: " + e, e);
    }
    int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    try (Socket plain = new Socket()) {
      plain.connect(new InetSocketAddress(host, port), millis);
      plain.setSoTimeout(millis);
      try (SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket(plain, host, port, false)) {
        tls.startHandshake();
        return Answer.TLS;
      } catch (SSLException e) {
        String message = String.valueOf(e.getMessage());
        return message.startsWith("Received fatal alert") ? Answer.TLS : Answer.NOT_TLS;
      }
    } catch (IOException e) { // refused, unreachable, or no answer within the timeout
      return Answer.NO_ANSWER;
    }
  }

  /** The cause a non-TLS node records for a seed that speaks TLS. */
  public static String seedSpeaksTlsMessage(String seed) {
    return "the seed at " + seed + " speaks TLS and this node does not: start it with --tls-dir holding the "
        + "cluster's certificates (those `tessera certs` made)";
  }

  /** Trusts any certificate: the probe only asks whether the seed speaks TLS, and sends nothing. */
  private static final class AnyCertificate implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
