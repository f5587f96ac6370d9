package dev.tessera.runtime.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which addresses count as exposed, and what a node without TLS may do with them. */
class NetworkExposureTest {

  private static Config config(Map<String, Object> keys) {
    return NodeConfigLoader.load(ConfigFactory.parseMap(keys));
  }

  private static void check(Map<String, Object> keys) {
    Config c = config(keys);
    NetworkExposure.check(NodeSettings.create(c), c);
  }

  @Test
  void loopbackNeedsNothing() {
    check(Map.of());
    check(Map.of("tessera.node.host", "localhost"));
  }

  @Test
  void aLanAddressWithoutTlsIsRefusedNamingItAndTheWayOut() {
    assertThatThrownBy(() -> check(Map.of("tessera.node.host", "192.0.2.7")))
        .isInstanceOfSatisfying(NodeStartException.class,
            e -> assertThat(e.reason()).isEqualTo(NodeStartException.Reason.NOT_SECURED))
        .hasMessageContaining("192.0.2.7 (the cluster port, tessera.node.host)")
        .hasMessageContaining("tessera certs init")
        .hasMessageContaining("--insecure-plaintext");
  }

  @Test
  void everyInterfaceCountsAsExposed() {
    assertThatThrownBy(() -> check(Map.of("tessera.node.bind-host", "0.0.0.0")))
        .hasMessageContaining("0.0.0.0 (the cluster port, tessera.node.bind-host)");
    assertThatThrownBy(() -> check(Map.of("tessera.data.bind-host", "0.0.0.0")))
        .hasMessageContaining("0.0.0.0 (the object store, tessera.data.bind-host)");
  }

  @Test
  void theManagementEndpointStaysOnLoopbackWhenTheNodeIsOnTheLan() {
    Config c = config(Map.of("tessera.node.host", "192.0.2.7", "tessera.node.insecure-plaintext", true));
    NodeSettings settings = NodeSettings.create(c);
    assertThat(settings.management().bindHost()).isEqualTo("127.0.0.1");
    assertThat(NetworkExposure.exposedAddresses(settings, c)).containsExactly("192.0.2.7 (the cluster port, tessera.node.host)");
  }

  @Test
  void insecurePlaintextLetsItStart() {
    check(Map.of("tessera.node.host", "192.0.2.7", "tessera.node.insecure-plaintext", true));
  }
}
