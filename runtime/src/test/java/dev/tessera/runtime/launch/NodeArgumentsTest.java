package dev.tessera.runtime.launch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A node process reads the flags of {@code cluster node} without picocli, with the same messages for mistakes. */
class NodeArgumentsTest {

  @Test
  void theFlagsLocalClusterPassesBecomeTheNodesSettings() {
    NodeOptions options = NodeArguments.parse(List.of("node", "--cluster-name", "c", "--host", "127.0.0.1",
        "--port", "25521", "--http-port", "7627", "--seeds", "127.0.0.1:25520", "--roles", "worker, gpu",
        "--join-timeout", "60s", "--parent-pid", "42", "--config", "/tmp/nodes.conf"));

    assertThat(options.overrides()).containsExactlyInAnyOrderEntriesOf(Map.of(
        "tessera.node.cluster-name", "c",
        "tessera.node.host", "127.0.0.1",
        "tessera.node.port", 25521,
        "tessera.node.management.port", 7627,
        "tessera.node.seeds", List.of("127.0.0.1:25520"),
        "tessera.node.roles", List.of("worker", "gpu"),
        "tessera.node.join.timeout", "60s"));
    assertThat(options.parentPid()).contains(42L);
    assertThat(options.config()).contains(Path.of("/tmp/nodes.conf"));
    assertThat(options.leaveWhenUp()).isFalse();
  }

  @Test
  void shortNamesEqualsSignsRepeatedListsAndSwitchesAreRead() {
    NodeOptions options = NodeArguments.parse(List.of("node", "-p", "0", "--http-port=0", "-s", "a:1,b:2", "--seeds", "c:3",
        "-r", "worker", "--leave-when-up", "--tls-dir", "/certs"));

    assertThat(options.port()).contains(0);
    assertThat(options.httpPort()).contains(0);
    assertThat(options.seeds()).contains(List.of("a:1", "b:2", "c:3"));
    assertThat(options.roles()).contains(List.of("worker"));
    assertThat(options.leaveWhenUp()).isTrue();
    assertThat(options.overrides()).containsEntry("tessera.node.tls.enabled", true)
        .containsEntry("tessera.node.tls.key-store", Path.of("/certs", "node.p12").toString())
        .containsEntry("tessera.node.tls.trust-store", Path.of("/certs", "trust.p12").toString());
  }

  @Test
  void mistakesAreNamedAsClusterNodeNamesThem() {
    assertThatThrownBy(() -> NodeArguments.parse(List.of("node", "--port", "70000")))
        .hasMessage("--port: 70000 is not a port (expected 0..65535, 0 = any free port)");
    assertThatThrownBy(() -> NodeArguments.parse(List.of("node", "--port", "abc")))
        .hasMessage("Invalid value for option '--port': 'abc' is not an int");
    assertThatThrownBy(() -> NodeArguments.parse(List.of("node", "--seeds", "pi-1")))
        .hasMessageStartingWith("--seeds: seed 'pi-1' is not host:port");
    assertThatThrownBy(() -> NodeArguments.parse(List.of("node", "--frobnicate")))
        .hasMessage("Unknown option: '--frobnicate'");
    assertThatThrownBy(() -> NodeArguments.parse(List.of("node", "--port")))
        .hasMessage("Missing required parameter for option '--port'");
    assertThatThrownBy(() -> NodeArguments.parse(List.of("local", "--nodes", "3")))
        .hasMessageContaining("a node process takes 'node' and its flags");
  }
}
