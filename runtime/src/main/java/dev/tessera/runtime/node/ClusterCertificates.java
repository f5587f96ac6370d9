package dev.tessera.runtime.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Makes the key material for a TLS cluster with the JDK's {@code keytool}: one key pair and
 * self-signed certificate for the cluster ({@code node.p12}), and a trust store holding only that
 * certificate ({@code trust.p12}). Every node gets a copy of both; a node without them cannot
 * complete the mutual TLS handshake, so it cannot join.
 *
 * <p>For per-node certificates signed by your own CA, put the CA certificate in each node's trust
 * store instead; the runtime only needs the two files and the password.
 */
public final class ClusterCertificates {

  /** The key store's file name in a TLS folder ({@code cluster certs --out DIR}, {@code --tls-dir DIR}). */
  public static final String KEY_STORE_FILE = "node.p12";
  /** The trust store's file name in a TLS folder. */
  public static final String TRUST_STORE_FILE = "trust.p12";

  private ClusterCertificates() {}

  /**
   * Writes {@code keyStoreFile} and {@code trustStoreFile} into {@code dir} (created if needed).
   *
   * @param commonName the certificate's CN, e.g. the cluster name
   * @param password protects both stores (PKCS12 uses one password for store and key)
   * @param validityDays how long the certificate is valid
   * @throws IOException if keytool fails or the files cannot be written
   */
  public static void generate(
      Path dir, String keyStoreFile, String trustStoreFile, String commonName, String password, int validityDays)
      throws IOException {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(password, "password");
    if (password.length() < 6) {
      throw new IllegalArgumentException("the password must be at least 6 characters (keytool's rule)");
    }
    Files.createDirectories(dir);
    Path keyStore = dir.resolve(keyStoreFile);
    Path trustStore = dir.resolve(trustStoreFile);
    Path cert = dir.resolve("cluster-cert.pem");
    for (Path p : List.of(keyStore, trustStore, cert)) {
      Files.deleteIfExists(p);
    }
    Keytool.run(
        password,
        "-genkeypair", "-alias", "node", "-keyalg", "RSA", "-keysize", "2048",
        "-dname", "CN=" + commonName, "-validity", String.valueOf(validityDays),
        "-storetype", "PKCS12", "-keystore", keyStore.toString(),
        "-storepass:env", Keytool.PASSWORD_ENV, "-keypass:env", Keytool.PASSWORD_ENV);
    Keytool.run(
        password,
        "-exportcert", "-rfc", "-alias", "node", "-keystore", keyStore.toString(),
        "-storepass:env", Keytool.PASSWORD_ENV, "-file", cert.toString());
    Keytool.run(
        password,
        "-importcert", "-noprompt", "-alias", "cluster", "-file", cert.toString(),
        "-storetype", "PKCS12", "-keystore", trustStore.toString(),
        "-storepass:env", Keytool.PASSWORD_ENV);
    // cluster-cert.pem stays beside the stores: it is public, and handy for inspecting the certificate.
  }
}
