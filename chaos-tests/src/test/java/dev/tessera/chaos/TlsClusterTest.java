package dev.tessera.chaos;

import dev.tessera.runtime.launch.FreePorts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.runtime.cluster.MembersView;
import dev.tessera.runtime.launch.LocalCluster;
import dev.tessera.runtime.launch.NodeProcess;
import dev.tessera.runtime.node.ClusterCa;
import dev.tessera.runtime.node.ClusterCertificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * With TLS on, nodes holding certificates of the cluster's CA form a cluster, and a node without one
 * (one with a certificate from another CA, one that trusts the cluster's CA but has a self-signed
 * certificate, one with no TLS at all) can neither join nor show up in membership. The cluster logs each
 * refusal at WARN once, not at every retry; each intruder gives up with exit code 4 naming why.
 */
class TlsClusterTest {

  // Kept when a test fails: the nodes' logs say why.
  @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir;

  /** A node certificate issued by the CA {@code caName} (made on first use), as `tessera certs issue` makes it. */
  private Path issued(String caName, String host) throws Exception {
    Path ca = dir.resolve(caName);
    if (!ClusterCa.exists(ca)) {
      ClusterCa.init(ca, caName, 2);
    }
    Path node = ClusterCa.issue(ca, host, List.of(), 2);
    // A password in a file is fine for a test; real deployments use TESSERA_TLS_PASSWORD.
    String password = Files.readString(node.resolve(ClusterCa.NODE_PASSWORD)).trim();
    Files.writeString(node.resolve("tls.conf"), "tessera.node.tls.password = \"" + password + "\"\n");
    return node;
  }

  @Test
  void onlyNodesWithTheClusterCertificateCanJoin() throws Exception {
    Path cluster = issued("cluster-ca", "cluster-node");
    // A certificate from another CA: refused by the cluster, and it does not trust the cluster either.
    Path other = issued("other-ca", "intruder");
    // Trusts the cluster's CA, but presents a self-signed certificate of its own: refused by the cluster.
    Path stray = dir.resolve("stray");
    ClusterCertificates.generate(stray, "node.p12", "trust.p12", "stray", "stray-secret", 2);
    Files.copy(cluster.resolve("trust.p12"), stray.resolve("trust.p12"), StandardCopyOption.REPLACE_EXISTING);
    Files.writeString(stray.resolve("tls.conf"), "tessera.node.tls.key-store-password = stray-secret\n"
        + "tessera.node.tls.trust-store-password = \"" + Files.readString(cluster.resolve(ClusterCa.NODE_PASSWORD)).trim() + "\"\n");
    LocalCluster.Spec spec = LocalCluster.Spec.onFreePorts(2, dir.resolve("logs"))
        .withExtraNodeArguments(List.of("--tls-dir", cluster.toString(), "--config", cluster.resolve("tls.conf").toString()));
    int intruderPorts = FreePorts.block(6);
    List<NodeProcess> intruders = new ArrayList<>();
    try (LocalCluster tls = LocalCluster.startOnFreePorts(spec)) {
      String seed = "127.0.0.1:" + tls.spec().port(1);
      Await.until("both TLS nodes are Up", Duration.ofSeconds(120), () -> tls.view(1).upCount() == 2);

      intruders.add(NodeProcess.start("wrong-certificate", List.of(
              "node", "--port", String.valueOf(intruderPorts), "--http-port", String.valueOf(intruderPorts + 1),
              "--seeds", seed, "--join-timeout", "12s",
              "--tls-dir", other.toString(), "--config", other.resolve("tls.conf").toString()),
          "128m", dir.resolve("logs/wrong-certificate.log")));
      intruders.add(NodeProcess.start("no-tls", List.of(
              "node", "--port", String.valueOf(intruderPorts + 2), "--http-port", String.valueOf(intruderPorts + 3),
              "--seeds", seed, "--join-timeout", "12s"),
          "128m", dir.resolve("logs/no-tls.log")));
      intruders.add(NodeProcess.start("stray-certificate", List.of(
              "node", "--port", String.valueOf(intruderPorts + 4), "--http-port", String.valueOf(intruderPorts + 5),
              "--seeds", seed, "--join-timeout", "12s",
              "--tls-dir", stray.toString(), "--config", stray.resolve("tls.conf").toString()),
          "128m", dir.resolve("logs/stray-certificate.log")));

      // Until both intruders give up, membership must never include them.
      Await.until("both intruders gave up", Duration.ofSeconds(90), () -> {
        MembersView view = tls.view(1);
        assertThat(view.members()).extracting(MembersView.Member::hostPort)
            .containsExactlyInAnyOrder(tls.address(1), tls.address(2));
        return intruders.stream().noneMatch(NodeProcess::isAlive);
      });
      for (NodeProcess intruder : intruders) {
        assertThat(intruder.exitValue()).as(intruder + " exit code").isEqualTo(4);
        assertThat(intruder.output()).contains("error: could not join the cluster through seeds [" + seed + "]");
      }
      assertThat(intruders.get(0).output()).as("wrong-certificate names the seed's certificate")
          .contains("s: the seed at " + seed + " presented a certificate this node does not trust (CN=cluster-node")
          .doesNotContain("are they running");
      assertThat(intruders.get(2).output()).as("stray-certificate is told the seed refused its certificate")
          .contains("s: the seed at " + seed + " refused this node's certificate (Received fatal alert")
          .doesNotContain("are they running");
      // A TLS seed closes a plain connection unread, as a dead one would: the node asks it in TLS.
      assertThat(intruders.get(1).output()).as("no-tls is told the seed speaks TLS")
          .contains("s: the seed at " + seed + " speaks TLS and this node does not: start it with --tls-dir")
          .doesNotContain("are they running");

      String seedLog = tls.node(1).output();
      assertThat(warnings(seedLog, "refused a node that tried to connect: it does not trust this node's certificate"))
          .as("the seed's line about wrong-certificate, once although it retried for 12 s").hasSize(1);
      // It sends no certificate: TLS 1.3 tells it the issuers the cluster trusts, and it has none of them.
      assertThat(warnings(seedLog, "refused a node that tried to connect: it has no certificate issued by this cluster's CA"))
          .as("the seed's line about stray-certificate").hasSize(1);
      assertThat(warnings(seedLog, "refused a connection that is not TLS"))
          .as("the seed's line about no-tls").hasSize(1);
      assertThat(tls.view(2).upCount()).isEqualTo(2);
    } finally {
      for (NodeProcess intruder : intruders) {
        intruder.stop(Duration.ofSeconds(10));
      }
    }
  }

  private static List<String> warnings(String log, String text) {
    return log.lines().filter(line -> line.contains(" WARN ") && line.contains(text)).toList();
  }
}
