package dev.tessera.runtime.tls;

import dev.tessera.runtime.cluster.JoinRefusals;
import dev.tessera.runtime.logging.OncePerInterval;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.remote.artery.tcp.ConfigSSLEngineProvider;

/**
 * Pekko's {@link ConfigSSLEngineProvider} (same key store, trust store, protocol, ciphers and
 * mutual authentication, from {@code pekko.remote.artery.ssl.config-ssl-engine}) that also says
 * why a handshake between nodes failed. Without it a node holding another cluster's certificates
 * leaves no line in the cluster's logs, and is itself told only that the seeds did not answer.
 *
 * <p>Set as {@code pekko.remote.artery.ssl.ssl-engine-provider} by {@code PekkoNodeConfig}; Pekko
 * creates it once per actor system with the system as its argument.
 */
public final class TesseraSslEngineProvider extends ConfigSSLEngineProvider {

  private final TlsRefusals refusals;

  public TesseraSslEngineProvider(ActorSystem system) {
    super(system);
    this.refusals = new TlsRefusals(JoinRefusals.ID.get(system), OncePerInterval.perMinute());
  }

  @Override
  public TrustManager[] trustManagers() {
    TrustManager[] managers = super.trustManagers();
    TrustManager[] reporting = new TrustManager[managers.length];
    for (int i = 0; i < managers.length; i++) {
      reporting[i] = managers[i] instanceof X509ExtendedTrustManager x509
          ? new ReportingTrustManager(x509, refusals)
          : managers[i];
    }
    return reporting;
  }

  @Override
  public SSLEngine createServerSSLEngine(String hostname, int port) {
    return new ReportingSslEngine(super.createServerSSLEngine(hostname, port), refusals, true);
  }

  @Override
  public SSLEngine createClientSSLEngine(String hostname, int port) {
    return new ReportingSslEngine(super.createClientSSLEngine(hostname, port), refusals, false);
  }
}
