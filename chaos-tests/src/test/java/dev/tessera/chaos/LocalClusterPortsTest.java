package dev.tessera.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.runtime.launch.LocalCluster;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A port found free and then taken by another process before the node binds it (CI: "management port
 * 55570 on 127.0.0.1 is already in use", on a machine whose ephemeral range covers every port): a
 * cluster on ports picked for it starts again elsewhere; a cluster on ports a person chose does not move.
 */
class LocalClusterPortsTest {

  @TempDir Path dir;

  @Test
  void aClusterOnFreePortsMovesWhenAPortIsTakenBeforeTheNodeBindsIt() throws Exception {
    LocalCluster.Spec spec = LocalCluster.Spec.onFreePorts(2, dir.resolve("logs"));
    // Node 2's cluster port: node 1 starts and is Up, node 2 exits; startOnFreePorts must notice.
    try (ServerSocket taken = listenOn(spec.port(2));
        LocalCluster cluster = LocalCluster.startOnFreePorts(spec)) {
      assertThat(cluster.spec().basePort()).isNotEqualTo(spec.basePort());
      assertThat(cluster.view(1).upCount()).isEqualTo(2);
      // Up in node 1's view; node 2 itself may not have finished starting yet.
      Await.until("node 2 sees both nodes Up", Duration.ofSeconds(60), () -> cluster.view(2).upCount() == 2);
      assertThat(taken.isBound()).isTrue();
    }
  }

  @Test
  void aClusterOnChosenPortsFailsNamingThePortTaken() throws Exception {
    LocalCluster.Spec spec = LocalCluster.Spec.onFreePorts(1, dir.resolve("logs"));
    try (ServerSocket taken = listenOn(spec.httpPort(1))) {
      assertThatThrownBy(() -> LocalCluster.start(spec).close())
          .isInstanceOf(IOException.class)
          .hasMessageContaining("management port " + spec.httpPort(1) + " on 127.0.0.1 is already in use");
    }
  }

  private static ServerSocket listenOn(int port) throws IOException {
    ServerSocket socket = new ServerSocket();
    socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    return socket;
  }
}
