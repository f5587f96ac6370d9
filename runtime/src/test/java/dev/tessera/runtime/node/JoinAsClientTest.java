package dev.tessera.runtime.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.Test;

/** {@link ComputeNode#joinAsClient}: a client-only member, Up, or a clear error and no node left running. */
class JoinAsClientTest {

  private static int unusedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  @Test
  void joinsWithTheClientRoleOnlyAndIsUp() throws Exception {
    try (ComputeNode seed = ComputeNode.start(NodeConfigLoader.load(Optional.empty(), Map.of(
        "tessera.node.port", 0,
        "tessera.node.management.enabled", false)))) {
      seed.whenUp().toCompletableFuture().get(30, TimeUnit.SECONDS);
      String seedAddress = "127.0.0.1:" + seed.address().getPort().get();

      try (ComputeNode client = ComputeNode.joinAsClient(
          List.of(seedAddress), Map.of("tessera.node.join.timeout", "30s"), Duration.ofSeconds(30))) {
        assertThat(client.settings().roles()).containsExactly(ComputeNode.CLIENT_ROLE);
        assertThat(client.whenUp().toCompletableFuture()).isDone();
        assertThat(Cluster.get(client.system()).selfMember().getRoles()).contains(ComputeNode.CLIENT_ROLE);
      }
    }
  }

  @Test
  void givesUpWithAClearErrorAndClosesTheNodeWhenNoSeedAnswers() throws Exception {
    String deadSeed = "127.0.0.1:" + unusedPort();
    AtomicReference<ComputeNode> started = new AtomicReference<>();

    assertThatThrownBy(() -> ComputeNode.joinAsClient(List.of(deadSeed), ConfigFactory.empty(), Duration.ofSeconds(2),
            config -> {
              ComputeNode node = ComputeNode.start(config);
              started.set(node);
              return node;
            }))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("could not join the cluster through seeds [" + deadSeed + "] as a client within 2.0 s");

    assertThat(started.get()).as("a node was started").isNotNull();
    assertThat(started.get().settings().roles()).containsExactly(ComputeNode.CLIENT_ROLE);
    // Closed before the error was thrown: its actor system has already stopped.
    assertThat(started.get().system().getWhenTerminated().toCompletableFuture()).isDone();
  }

  @Test
  void withNoSeedsFormsAClusterOfItsOwn() {
    try (ComputeNode client = ComputeNode.joinAsClient(List.of(), Map.of(), Duration.ofSeconds(30))) {
      assertThat(client.members()).hasSize(1);
      assertThat(client.settings().roles()).containsExactly(ComputeNode.CLIENT_ROLE);
    }
  }
}
