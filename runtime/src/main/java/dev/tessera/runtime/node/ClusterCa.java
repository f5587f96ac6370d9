package dev.tessera.runtime.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A cluster's own certificate authority, and a certificate per node signed by it, made with the
 * JDK's {@code keytool} ({@code tessera certs init}, {@code tessera certs issue HOST}).
 *
 * <p>Every node trusts the CA, not each other's certificates, and holds a key of its own: a lost
 * machine gives away its own key only, and the CA's key never leaves the machine that made it.
 * Files, all under the CA's folder (mode 0700; every file with a key or password 0600):
 *
 * <pre>
 * DIR/ca.p12, DIR/ca-password     the CA's key: keep them here, never copy them to a node
 * DIR/ca.pem                      the CA's certificate (public)
 * DIR/HOST/node.p12               the node's key and its certificate, with the CA's above it
 * DIR/HOST/trust.p12              the CA's certificate alone: what the node trusts
 * DIR/HOST/password               the password of both stores (TESSERA_TLS_PASSWORD on that node)
 * </pre>
 */
public final class ClusterCa {

  public static final String CA_STORE = "ca.p12";
  public static final String CA_CERTIFICATE = "ca.pem";
  public static final String CA_PASSWORD = "ca-password";
  /** The file, beside a node's stores, holding their password. */
  public static final String NODE_PASSWORD = "password";

  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9][A-Za-z0-9.:_-]*");

  private ClusterCa() {}

  /** Whether {@code dir} holds a CA made by {@link #init}. */
  public static boolean exists(Path dir) {
    return Files.isRegularFile(dir.resolve(CA_STORE)) && Files.isRegularFile(dir.resolve(CA_PASSWORD));
  }

  /**
   * Makes a CA in {@code dir} (created, mode 0700): a 3072-bit RSA key and a self-signed CA
   * certificate named {@code name}, valid {@code days}, its store protected by a new random password.
   *
   * @throws IOException when {@code dir} already holds a CA (a new one would orphan every node's
   *     certificate: delete it first to re-key the cluster), or keytool fails
   */
  public static void init(Path dir, String name, int days) throws IOException {
    Objects.requireNonNull(dir, "dir");
    if (exists(dir)) {
      throw new IOException(dir.resolve(CA_STORE) + " exists already: a cluster has one CA (move it away to make a new one, "
          + "then issue every node a new certificate)");
    }
    Secrets.privateDirectory(dir);
    String password = Secrets.newPassword();
    Secrets.writePrivate(dir.resolve(CA_PASSWORD), password + "\n");
    Path store = dir.resolve(CA_STORE);
    Keytool.run(password,
        "-genkeypair", "-alias", "ca", "-keyalg", "RSA", "-keysize", "3072", "-dname", "CN=" + name,
        "-ext", "bc:c", "-ext", "KU=keyCertSign,cRLSign", "-validity", String.valueOf(days),
        "-storetype", "PKCS12", "-keystore", store.toString(),
        "-storepass:env", Keytool.PASSWORD_ENV, "-keypass:env", Keytool.PASSWORD_ENV);
    Secrets.restrict(store);
    Keytool.run(password, "-exportcert", "-rfc", "-alias", "ca", "-keystore", store.toString(),
        "-storepass:env", Keytool.PASSWORD_ENV, "-file", dir.resolve(CA_CERTIFICATE).toString());
  }

  /**
   * Issues node {@code host} a certificate: {@code dir/host/node.p12}, {@code trust.p12} and {@code
   * password}. Its names (subject alternative names) are {@code host} and {@code moreNames}, each
   * a DNS name or an IP address, so a node can also be checked by the address others reach it at.
   * Replaces an earlier certificate of the same host.
   *
   * @return the node's folder
   */
  public static Path issue(Path dir, String host, List<String> moreNames, int days) throws IOException {
    Objects.requireNonNull(host, "host");
    if (!exists(dir)) {
      throw new IOException("no CA in " + dir.toAbsolutePath() + ": make one first with `tessera certs init --dir " + dir + "`");
    }
    if (!HOST.matcher(host).matches()) {
      throw new IllegalArgumentException("'" + host + "' is not a host name or address");
    }
    String caPassword = Files.readString(dir.resolve(CA_PASSWORD)).trim();
    Path node = Secrets.privateDirectory(dir.resolve(host.replace(':', '_')));
    Path keyStore = node.resolve(ClusterCertificates.KEY_STORE_FILE);
    Path trustStore = node.resolve(ClusterCertificates.TRUST_STORE_FILE);
    Path request = node.resolve("node.csr");
    Path signed = node.resolve("node.pem");
    for (Path p : List.of(keyStore, trustStore, request, signed)) {
      Files.deleteIfExists(p);
    }
    String password = Secrets.newPassword();
    Secrets.writePrivate(node.resolve(NODE_PASSWORD), password + "\n");
    Map<String, String> both = Map.of(Keytool.PASSWORD_ENV, password, Keytool.SECOND_PASSWORD_ENV, caPassword);
    Keytool.run(password,
        "-genkeypair", "-alias", "node", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=" + host,
        "-validity", String.valueOf(days), "-storetype", "PKCS12", "-keystore", keyStore.toString(),
        "-storepass:env", Keytool.PASSWORD_ENV, "-keypass:env", Keytool.PASSWORD_ENV);
    Keytool.run(password, "-certreq", "-alias", "node", "-keystore", keyStore.toString(),
        "-storepass:env", Keytool.PASSWORD_ENV, "-file", request.toString());
    Keytool.run(both, "-gencert", "-rfc", "-alias", "ca", "-keystore", dir.resolve(CA_STORE).toString(),
        "-storepass:env", Keytool.SECOND_PASSWORD_ENV, "-infile", request.toString(), "-outfile", signed.toString(),
        "-validity", String.valueOf(days), "-ext", "SAN=" + subjectAlternativeNames(host, moreNames),
        "-ext", "KU=digitalSignature,keyEncipherment", "-ext", "EKU=serverAuth,clientAuth");
    String ca = dir.resolve(CA_CERTIFICATE).toString();
    // The CA first, so that the signed reply is imported with its chain.
    Keytool.run(password, "-importcert", "-noprompt", "-alias", "ca", "-file", ca,
        "-keystore", keyStore.toString(), "-storepass:env", Keytool.PASSWORD_ENV);
    Keytool.run(password, "-importcert", "-noprompt", "-alias", "node", "-file", signed.toString(),
        "-keystore", keyStore.toString(), "-storepass:env", Keytool.PASSWORD_ENV);
    Keytool.run(password, "-importcert", "-noprompt", "-alias", "cluster-ca", "-file", ca,
        "-storetype", "PKCS12", "-keystore", trustStore.toString(), "-storepass:env", Keytool.PASSWORD_ENV);
    Files.delete(request);
    Secrets.restrict(keyStore);
    Secrets.restrict(trustStore);
    return node;
  }

  /** keytool's SAN value: {@code dns:NAME} or {@code ip:ADDRESS} for each distinct name. */
  static String subjectAlternativeNames(String host, List<String> moreNames) {
    Set<String> names = new LinkedHashSet<>();
    names.add(host);
    names.addAll(moreNames);
    List<String> entries = new ArrayList<>();
    for (String name : names) {
      if (!HOST.matcher(name).matches()) {
        throw new IllegalArgumentException("'" + name + "' is not a host name or address");
      }
      entries.add((isAddress(name) ? "ip:" : "dns:") + name);
    }
    return String.join(",", entries);
  }

  private static boolean isAddress(String name) {
    return name.matches("[0-9.]+") || name.contains(":");
  }
}
