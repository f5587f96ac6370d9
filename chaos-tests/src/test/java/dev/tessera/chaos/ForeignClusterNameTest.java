package dev.tessera.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.runtime.launch.FreePorts;
import dev.tessera.runtime.launch.LocalCluster;
import dev.tessera.runtime.launch.NodeProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node started with another cluster name than its seed's is refused by the seed at every retry:
 * the seed logs it once (not several times a second), naming it and both names, and tells it, so
 * that it gives up with exit code 4 saying which cluster the seed belongs to.
 */
class ForeignClusterNameTest {

  // Kept when a test fails: the nodes' logs say why.
  @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir;

  @Test
  void aNodeOfAnotherClusterNameIsLoggedOnceByTheSeedAndToldTheSeedsClusterName() throws Exception {
    int ports = FreePorts.block(2);
    NodeProcess stranger = null;
    try (LocalCluster cluster = LocalCluster.startOnFreePorts(LocalCluster.Spec.onFreePorts(1, dir.resolve("logs")))) {
      String seed = "127.0.0.1:" + cluster.spec().port(1);
      Await.until("the seed is Up", Duration.ofSeconds(120), () -> cluster.view(1).upCount() == 1);

      stranger = NodeProcess.start("stranger", List.of(
              "node", "--cluster-name", "foo", "--port", String.valueOf(ports), "--http-port", String.valueOf(ports + 1),
              "--seeds", seed, "--join-timeout", "12s"),
          "128m", dir.resolve("logs/stranger.log"));
      NodeProcess s = stranger;
      Await.until("the stranger gave up", Duration.ofSeconds(90), () -> !s.isAlive());

      assertThat(stranger.exitValue()).isEqualTo(4);
      assertThat(stranger.output())
          .contains("error: could not join the cluster through seeds [" + seed + "] within 12 s: the seed at " + seed
              + " belongs to cluster 'tessera', not 'foo' (set --cluster-name tessera to join it)");
      List<String> seedLog = cluster.node(1).output().lines().toList();
      assertThat(seedLog.stream().filter(line -> line.contains(" WARN ")
              && line.contains("refused node pekko://foo@127.0.0.1:" + ports + ": it tries to join cluster 'foo', this is cluster 'tessera'")))
          .as("the seed's own line, once for 12 s of retries").hasSize(1);
      assertThat(seedLog.stream().filter(line -> line.contains("Dropping Handshake Request from [pekko://foo@")))
          .as("Pekko's line, at most once a minute").hasSize(1);
      assertThat(cluster.view(1).upCount()).isEqualTo(1);
    } finally {
      if (stranger != null) {
        stranger.stop(Duration.ofSeconds(10));
      }
    }
  }
}
