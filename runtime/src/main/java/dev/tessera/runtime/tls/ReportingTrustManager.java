package dev.tessera.runtime.tls;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Objects;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The trust manager Pekko configured, unchanged in what it accepts, that reports each certificate
 * it refuses to {@link TlsRefusals}: the delegate's exception says only "PKIX path building
 * failed", and only on the side that refused.
 *
 * <p>Thread safety: as the delegate's (the JDK's are thread safe).
 */
final class ReportingTrustManager extends X509ExtendedTrustManager {

  private final X509ExtendedTrustManager delegate;
  private final TlsRefusals refusals;

  ReportingTrustManager(X509ExtendedTrustManager delegate, TlsRefusals refusals) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
    this.refusals = Objects.requireNonNull(refusals, "refusals");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    try {
      delegate.checkClientTrusted(chain, authType, engine);
    } catch (CertificateException | RuntimeException e) {
      refusals.refusedConnectingNode(chain, e);
      throw e;
    }
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    try {
      delegate.checkServerTrusted(chain, authType, engine);
    } catch (CertificateException | RuntimeException e) {
      // A client engine is created with the seed's host and port (ConfigSSLEngineProvider).
      refusals.refusedSeed(engine.getPeerHost(), engine.getPeerPort(), chain, e);
      throw e;
    }
  }

  // Artery uses SSLEngines only; the socket and context-free variants just delegate.

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    delegate.checkClientTrusted(chain, authType, socket);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    delegate.checkServerTrusted(chain, authType, socket);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    delegate.checkClientTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    delegate.checkServerTrusted(chain, authType);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return delegate.getAcceptedIssuers();
  }
}
