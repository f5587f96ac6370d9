package dev.tessera.runtime.data;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.runtime.node.ClusterCertificates;
import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.runtime.node.NodeConfigLoader;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The object store follows the cluster's TLS setting: with TLS on, objects move over TLS with the
 * cluster's certificates, and a node holding another cluster's certificates cannot read them.
 */
class DataOverTlsTest {

  @TempDir Path dir;

  private static ComputeNode tlsNode(Path certs, List<String> seeds) {
    return ComputeNode.start(NodeConfigLoader.load(Optional.empty(), Map.of(
        "tessera.node.port", 0,
        "tessera.node.management.enabled", false,
        "tessera.node.seeds", seeds,
        "tessera.node.tls.enabled", true,
        "tessera.node.tls.key-store", certs.resolve("key.p12").toString(),
        "tessera.node.tls.trust-store", certs.resolve("trust.p12").toString(),
        "tessera.node.tls.password", "secret-pw",
        "pekko.cluster.jmx.multi-mbeans-in-same-jvm", "on",
        "tessera.data.connect-timeout", "3s")));
  }

  @Test
  void objectsMoveOverTlsBetweenNodesOfTheClusterAndNotToAStranger() throws Exception {
    Path ours = dir.resolve("ours");
    Path theirs = dir.resolve("theirs");
    ClusterCertificates.generate(ours, "key.p12", "trust.p12", "cluster", "secret-pw", 2);
    ClusterCertificates.generate(theirs, "key.p12", "trust.p12", "cluster", "secret-pw", 2);
    ComputeNode owner = tlsNode(ours, List.of());
    ComputeNode member = null;
    ComputeNode stranger = null;
    try {
      owner.whenUp().toCompletableFuture().get(30, TimeUnit.SECONDS);
      member = tlsNode(ours, List.of("127.0.0.1:" + owner.address().getPort().get()));
      stranger = tlsNode(theirs, List.of());
      byte[] bytes = new byte[5 << 20];
      new Random(5).nextBytes(bytes);
      DataRef<byte[]> ref = Data.put(owner.system(), bytes);

      assertThat(Data.get(member.system(), ref).toCompletableFuture().get(30, TimeUnit.SECONDS)).isEqualTo(bytes);

      Throwable refused = failureOf(Data.get(stranger.system(), ref).toCompletableFuture());
      assertThat(refused).isInstanceOf(DataException.class);
      assertThat(((DataException) refused).reason()).isEqualTo(DataException.Reason.LOST);
      assertThat(refused.getMessage()).contains(ref.id()).contains(owner.address().toString());
    } finally {
      owner.close();
      if (member != null) {
        member.close();
      }
      if (stranger != null) {
        stranger.close();
      }
    }
  }

  private static Throwable failureOf(java.util.concurrent.CompletableFuture<?> future) throws Exception {
    try {
      future.get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      Throwable t = e.getCause();
      return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }
    throw new AssertionError("the stranger read the object");
  }
}
