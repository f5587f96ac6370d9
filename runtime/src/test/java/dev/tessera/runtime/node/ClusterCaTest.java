package dev.tessera.runtime.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A cluster CA and the per-node certificates it signs: their chains, names and file modes. */
class ClusterCaTest {

  @TempDir static Path dir;
  static Path ca;

  @BeforeAll
  static void makeTheCa() throws Exception {
    ca = dir.resolve("certs");
    ClusterCa.init(ca, "test-ca", 2);
  }

  @Test
  void aNodeCertificateIsSignedByTheCaAndNamesItsHost() throws Exception {
    Path node = ClusterCa.issue(ca, "pi-1", List.of("10.0.0.5"), 2);

    String password = Files.readString(node.resolve(ClusterCa.NODE_PASSWORD)).trim();
    KeyStore keys = load(node.resolve("node.p12"), password);
    Certificate[] chain = keys.getCertificateChain("node");
    assertThat(chain).hasSize(2);
    X509Certificate leaf = (X509Certificate) chain[0];
    X509Certificate root = (X509Certificate) chain[1];
    leaf.verify(root.getPublicKey()); // signed by the CA
    assertThat(leaf.getSubjectX500Principal().getName()).isEqualTo("CN=pi-1");
    assertThat(root.getSubjectX500Principal().getName()).isEqualTo("CN=test-ca");
    assertThat(root.getBasicConstraints()).isGreaterThanOrEqualTo(0);
    List<String> names = new ArrayList<>();
    leaf.getSubjectAlternativeNames().forEach(n -> names.add(n.get(1).toString()));
    assertThat(names).containsExactly("pi-1", "10.0.0.5");

    KeyStore trust = load(node.resolve("trust.p12"), password);
    assertThat(trust.size()).isEqualTo(1);
    assertThat(trust.getCertificate("cluster-ca")).isEqualTo(root);

    // Two nodes: two keys, one CA.
    Path other = ClusterCa.issue(ca, "pi-2", List.of(), 2);
    KeyStore otherKeys = load(other.resolve("node.p12"), Files.readString(other.resolve(ClusterCa.NODE_PASSWORD)).trim());
    assertThat(otherKeys.getCertificate("node").getPublicKey()).isNotEqualTo(leaf.getPublicKey());
  }

  @Test
  void keysAndPasswordsAreTheOwnersAlone() throws Exception {
    Path node = ClusterCa.issue(ca, "pi-3", List.of(), 2);
    assertThat(mode(ca)).isEqualTo("rwx------");
    assertThat(mode(node)).isEqualTo("rwx------");
    for (Path secret : List.of(ca.resolve("ca.p12"), ca.resolve("ca-password"), node.resolve("node.p12"),
        node.resolve("trust.p12"), node.resolve("password"))) {
      assertThat(mode(secret)).as(secret.toString()).isEqualTo("rw-------");
    }
  }

  @Test
  void aSecondCaIsRefusedAndIssuingNeedsOne() throws Exception {
    assertThatThrownBy(() -> ClusterCa.issue(dir.resolve("none"), "pi-1", List.of(), 2))
        .isInstanceOf(IOException.class).hasMessageContaining("tessera certs init");
    assertThatThrownBy(() -> ClusterCa.init(ca, "test-ca", 2))
        .isInstanceOf(IOException.class).hasMessageContaining("exists already");
    assertThatThrownBy(() -> ClusterCa.issue(ca, "bad host", List.of(), 2))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'bad host' is not a host name or address");
  }

  private static KeyStore load(Path file, String password) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (var in = Files.newInputStream(file)) {
      store.load(in, password.toCharArray());
    }
    return store;
  }

  private static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }
}
