package dev.tessera.runtime.node;

import com.typesafe.config.Config;
import dev.tessera.runtime.tls.TesseraSslEngineProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import javax.net.ssl.SSLContext;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.management.javadsl.ManagementRouteProviderSettings;

/**
 * How a node's management endpoint is protected. On loopback (the default) it is plain HTTP for
 * this machine's own tools. Exposed on another interface, with TLS on, it serves HTTPS only (the
 * node's own key) and answers only requests that carry the management token, as the password of
 * HTTP Basic authentication ({@code curl -u tessera:TOKEN https://node:7626/ready}); a node without
 * a token refuses to start. Exposed without TLS it can only be under {@code insecure-plaintext},
 * which {@link NetworkExposure} warns about.
 */
final class ManagementSecurity {

  private ManagementSecurity() {}

  /** The settings change for Pekko Management's start: identity unless exposed with TLS. */
  static Function<ManagementRouteProviderSettings, ManagementRouteProviderSettings> forNode(
      NodeSettings settings, Config config, ActorSystem<?> system) {
    if (NetworkExposure.isLoopback(settings.management().bindHost()) || !settings.tls().enabled()) {
      return Function.identity();
    }
    String token = token(config);
    SSLContext tls;
    try {
      TesseraSslEngineProvider provider = new TesseraSslEngineProvider(system.classicSystem());
      tls = SSLContext.getInstance("TLS");
      tls.init(provider.keyManagers(), null, provider.createSecureRandom());
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new NodeStartException(NodeStartException.Reason.OTHER,
          "the management endpoint cannot serve HTTPS with the node's key store: " + e.getMessage(), e);
    }
    return s -> s.withHttpsConnectionContext(ConnectionContext.httpsServer(tls))
        .withAuth(credentials -> CompletableFuture.completedFuture(
            credentials.filter(c -> c.verify(token)).map(c -> c.identifier())));
  }

  /**
   * The token: {@code tessera.node.management.token} (TESSERA_MANAGEMENT_TOKEN), else the first line
   * of {@code token-file}.
   *
   * @throws NodeStartException when neither gives one
   */
  static String token(Config config) {
    String key = "tessera.node.management.";
    String token = config.getString(key + "token").trim();
    String file = config.getString(key + "token-file").trim();
    if (token.isEmpty() && !file.isEmpty()) {
      try {
        token = Files.readString(Path.of(file)).lines().findFirst().orElse("").trim();
      } catch (IOException e) {
        throw new InvalidNodeSettingsException(key + "token-file: cannot read " + file + ": " + e.getMessage());
      }
    }
    if (token.length() < 16) {
      throw new NodeStartException(NodeStartException.Reason.NOT_SECURED,
          "the management endpoint listens on " + config.getString(key + "host") + ", off loopback: it needs a token of at "
              + "least 16 characters in " + key + "token-file (or TESSERA_MANAGEMENT_TOKEN), which every request must carry"
              + (token.isEmpty() ? "" : " (the one given is " + token.length() + " characters)"), null);
    }
    return token;
  }
}
