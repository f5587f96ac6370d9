package dev.tessera.runtime.tls;

import dev.tessera.runtime.cluster.JoinRefusals;
import dev.tessera.runtime.logging.OncePerInterval;
import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.OptionalLong;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says, once per peer and minute, why a TLS handshake between nodes failed: on the refusing side as
 * a WARN naming the certificate (or what the peer sent), on a joining node also as a {@link
 * JoinRefusals} cause, so that a node that gives up joining names the real reason.
 *
 * <p>Called from TLS engine and trust manager threads: thread safe. A refused node retries several
 * times a second; {@link OncePerInterval} keeps that to one line a minute per peer.
 */
final class TlsRefusals {

  private static final Logger log = LoggerFactory.getLogger(TlsRefusals.class);

  private final JoinRefusals joinRefusals;
  private final OncePerInterval limit;

  TlsRefusals(JoinRefusals joinRefusals, OncePerInterval limit) {
    this.joinRefusals = Objects.requireNonNull(joinRefusals, "joinRefusals");
    this.limit = Objects.requireNonNull(limit, "limit");
  }

  /** This node, accepting a connection, did not trust the connecting node's certificate. */
  void refusedConnectingNode(X509Certificate[] chain, Exception cause) {
    String certificate = describe(chain);
    OptionalLong heldBack = limit.occurred("client " + certificate);
    if (heldBack.isPresent()) {
      log.warn("{}{}", refusedConnectingNodeMessage(certificate, reason(cause)), repeats(heldBack.getAsLong()));
    }
  }

  /** This node, connecting to a seed, did not trust the seed's certificate. */
  void refusedSeed(String host, int port, X509Certificate[] chain, Exception cause) {
    String seed = hostPort(host, port);
    String message = refusedSeedMessage(seed, describe(chain), reason(cause));
    joinRefusals.record(seed, "tls", message);
    OptionalLong heldBack = limit.occurred("server " + seed);
    if (heldBack.isPresent()) {
      log.warn("{}{}", message, repeats(heldBack.getAsLong()));
    }
  }

  /**
   * The handshake failed on the peer's side or it spoke no TLS; {@code accepting}: this node
   * accepted the connection (the peer's address is not known to the TLS layer then).
   */
  void handshakeFailed(boolean accepting, String host, int port, SSLException e) {
    String failure = String.valueOf(e.getMessage());
    String seed = hostPort(host, port);
    String message;
    if (failure.startsWith("Received fatal alert")) {
      message = accepting ? peerRefusedUsMessage(failure) : seedRefusedUsMessage(seed, failure);
    } else if (hasCertificateCause(e)) {
      // This node's own trust manager refused the peer's certificate, and has said so, naming it.
      return;
    } else if (accepting && failure.contains("Empty client certificate chain")) {
      // TLS 1.3 tells the client which issuers the cluster trusts; a node with none of them sends no
      // certificate at all, so there is no subject to name.
      message = noCertificateMessage(failure);
    } else if (accepting && failure.contains("nrecognized SSL message")) {
      message = notTlsMessage();
    } else {
      message = accepting
          ? "refused a node that tried to connect: its TLS handshake failed (" + failure + ")"
          : "the TLS handshake with the seed at " + seed + " failed (" + failure + ")";
    }
    if (!accepting) {
      joinRefusals.record(seed, "tls", message);
    }
    OptionalLong heldBack = limit.occurred((accepting ? "peer " : "seed " + seed + " ") + failure);
    if (heldBack.isPresent()) {
      log.warn("{}{}", message, repeats(heldBack.getAsLong()));
    }
  }

  private static boolean hasCertificateCause(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof java.security.cert.CertificateException) {
        return true;
      }
    }
    return false;
  }

  static String noCertificateMessage(String failure) {
    return "refused a node that tried to connect: it has no certificate issued by this cluster's CA ("
        + failure + "), so it holds another cluster's certificates, or none (--tls-dir)";
  }

  static String refusedConnectingNodeMessage(String certificate, String reason) {
    return "refused a node that tried to connect: its certificate (" + certificate + ") is not one this cluster "
        + "trusts (" + reason + "); it is not a node of this cluster, or it was given another cluster's "
        + "certificates (--tls-dir)";
  }

  static String refusedSeedMessage(String seed, String certificate, String reason) {
    return "the seed at " + seed + " presented a certificate this node does not trust (" + certificate + "; "
        + reason + "): it belongs to another cluster, or this node was given another cluster's "
        + "certificates (--tls-dir)";
  }

  static String seedRefusedUsMessage(String seed, String alert) {
    return "the seed at " + seed + " refused this node's certificate (" + alert + "): this node was not "
        + "given the cluster's certificates (--tls-dir)";
  }

  static String peerRefusedUsMessage(String alert) {
    return "refused a node that tried to connect: it does not trust this node's certificate (" + alert
        + "), so it holds another cluster's certificates (its own log names the seed it tried; "
        + "Pekko's TLS layer does not tell this node the peer's address)";
  }

  static String notTlsMessage() {
    return "refused a connection that is not TLS: a node started without --tls-dir is trying to reach "
        + "this cluster (its own log names the seed it tried)";
  }

  /** "CN=x, issued by CN=y", or what is known when the chain is empty. */
  static String describe(X509Certificate[] chain) {
    if (chain == null || chain.length == 0) {
      return "no certificate";
    }
    X509Certificate leaf = chain[0];
    String subject = leaf.getSubjectX500Principal().getName();
    String issuer = leaf.getIssuerX500Principal().getName();
    return subject.equals(issuer) ? subject + ", self-signed" : subject + ", issued by " + issuer;
  }

  private static String reason(Exception cause) {
    // PKIX failures nest the useful part ("unable to find valid certification path ...") at the end.
    Throwable t = cause;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return String.valueOf(t.getMessage());
  }

  static String repeats(long heldBack) {
    return heldBack == 0 ? "" : " (" + heldBack + " more times in the last minute)";
  }

  private static String hostPort(String host, int port) {
    String h = host == null ? "?" : host.contains(":") ? "[" + host + "]" : host;
    return h + ":" + port;
  }
}
