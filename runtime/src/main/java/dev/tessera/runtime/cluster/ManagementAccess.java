package dev.tessera.runtime.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Base64;
import java.util.Collection;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * How a client reaches a node's management endpoint: plain HTTP on loopback (the default), or,
 * where the endpoint is exposed off loopback, HTTPS trusting only the cluster CA and carrying the
 * management token as the HTTP Basic password.
 *
 * @param tls the TLS context trusting the cluster CA; empty for plain HTTP
 * @param token the management token; empty to send none
 */
public record ManagementAccess(Optional<SSLContext> tls, Optional<String> token) {

  /** The user name sent with the token; the node checks only the password. */
  public static final String USER = "tessera";

  public ManagementAccess {
    Objects.requireNonNull(tls, "tls");
    Objects.requireNonNull(token, "token");
  }

  /** Plain HTTP, no token: a node's loopback endpoint. */
  public static ManagementAccess plain() {
    return new ManagementAccess(Optional.empty(), Optional.empty());
  }

  /**
   * HTTPS trusting only the CA certificates in {@code caPem} ({@code tessera certs init}'s {@code
   * ca.pem}), with {@code token} when given.
   *
   * @throws IOException when the file cannot be read or holds no certificate
   */
  public static ManagementAccess https(Path caPem, Optional<String> token) throws IOException {
    return new ManagementAccess(Optional.of(trusting(caPem)), token);
  }

  /**
   * The token: the first line of {@code tokenFile} when given, else {@code TESSERA_MANAGEMENT_TOKEN}
   * from the environment, else none.
   *
   * @throws IOException when the file cannot be read or its first line is empty
   */
  public static Optional<String> token(Optional<Path> tokenFile) throws IOException {
    if (tokenFile.isPresent()) {
      String line = Files.readString(tokenFile.get()).lines().findFirst().orElse("").trim();
      if (line.isEmpty()) {
        throw new IOException(tokenFile.get() + " holds no token (its first line is empty)");
      }
      return Optional.of(line);
    }
    return Optional.ofNullable(System.getenv("TESSERA_MANAGEMENT_TOKEN")).map(String::trim).filter(t -> !t.isEmpty());
  }

  /** {@code https} or {@code http}. */
  public String scheme() {
    return tls.isPresent() ? "https" : "http";
  }

  /** The {@code Authorization} header value, when there is a token. */
  public Optional<String> authorization() {
    return token.map(t -> "Basic " + Base64.getEncoder().encodeToString((USER + ":" + t).getBytes(StandardCharsets.UTF_8)));
  }

  private static SSLContext trusting(Path caPem) throws IOException {
    try (InputStream in = Files.newInputStream(caPem)) {
      Collection<? extends Certificate> certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
      if (certificates.isEmpty()) {
        throw new IOException(caPem + " holds no certificate (expected the cluster CA's ca.pem)");
      }
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      int i = 0;
      for (Certificate c : certificates) {
        trust.setCertificateEntry("ca-" + i++, c);
      }
      TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(trust);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, factory.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IOException(caPem + " is not a readable CA certificate: " + e.getMessage(), e);
    }
  }
}
