package dev.tessera.runtime.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeSettingsTest {

  @TempDir Path dir;

  private static NodeSettings settings(Map<String, ?> overrides) {
    return NodeSettings.create(NodeConfigLoader.load(Optional.empty(), overrides));
  }

  @Test
  void defaultsBindToLoopbackAndFormANewClusterWithKeepMajority() {
    NodeSettings s = settings(Map.of());

    assertThat(s.host()).isEqualTo("127.0.0.1");
    assertThat(s.bindHost()).isEqualTo("127.0.0.1");
    assertThat(s.port()).isEqualTo(25520);
    assertThat(s.startsNewCluster()).isTrue();
    assertThat(s.roles()).containsExactly("worker");
    assertThat(s.failureDetection().downingStrategy()).isEqualTo("keep-majority");
    assertThat(s.failureDetection().heartbeatInterval()).isEqualTo(Duration.ofMillis(500));
    assertThat(s.failureDetection().acceptableHeartbeatPause()).isEqualTo(Duration.ofSeconds(2));
    assertThat(s.failureDetection().stableAfter()).isEqualTo(Duration.ofSeconds(3));
    assertThat(s.failureDetection().handOverMargin()).isEqualTo(Duration.ofSeconds(1));
    assertThat(s.failureDetection().downAllWhenUnstable()).isEqualTo(Duration.ofSeconds(15));
    assertThat(s.management().port()).isEqualTo(7626);
    assertThat(s.tls().enabled()).isFalse();
  }

  @Test
  void membershipAndShardingAreTunedForSmallClustersUnlessTheUserSetItThemselves() {
    Config defaults = NodeConfigLoader.load(Optional.empty(), Map.of());
    Config tuned = PekkoNodeConfig.smallClusterTuning(defaults).withFallback(defaults);
    assertThat(tuned.getInt("pekko.cluster.sharding.coordinator-state.write-majority-plus")).isZero();
    assertThat(tuned.getInt("pekko.cluster.sharding.distributed-data.majority-min-cap")).isEqualTo(2);
    assertThat(tuned.getDuration("pekko.cluster.sharding.updating-state-timeout")).isEqualTo(java.time.Duration.ofSeconds(2));
    assertThat(tuned.getDuration("pekko.cluster.sharding.retry-interval")).isEqualTo(java.time.Duration.ofMillis(250));
    assertThat(tuned.getDuration("pekko.cluster.leader-actions-interval")).isEqualTo(java.time.Duration.ofMillis(250));
    assertThat(tuned.getDuration("pekko.cluster.unreachable-nodes-reaper-interval")).isEqualTo(java.time.Duration.ofMillis(250));
    assertThat(tuned.getDuration("pekko.cluster.gossip-interval")).isEqualTo(java.time.Duration.ofMillis(500));

    Config own = NodeConfigLoader.load(Optional.empty(), Map.of("pekko.cluster.sharding.updating-state-timeout", "7s"));
    Config kept = PekkoNodeConfig.smallClusterTuning(own).withFallback(own);
    assertThat(kept.getDuration("pekko.cluster.sharding.updating-state-timeout")).isEqualTo(java.time.Duration.ofSeconds(7));
    assertThat(kept.getInt("pekko.cluster.sharding.coordinator-state.read-majority-plus")).isZero();

    // Pekko's own value, written by the user, is the user's choice too.
    Config pekkos = NodeConfigLoader.load(Optional.empty(), Map.of("pekko.cluster.gossip-interval", "1s"));
    Config asWritten = PekkoNodeConfig.smallClusterTuning(pekkos).withFallback(pekkos);
    assertThat(asWritten.getDuration("pekko.cluster.gossip-interval")).isEqualTo(java.time.Duration.ofSeconds(1));
    assertThat(asWritten.getDuration("pekko.cluster.leader-actions-interval")).isEqualTo(java.time.Duration.ofMillis(250));
  }

  @Test
  void generatedPekkoConfigTurnsOnSplitBrainResolverAndKeepsJavaSerializationOff() {
    NodeSettings s = settings(Map.of("tessera.node.seeds", List.of("10.0.0.1:25520", "[::1]:25521")));
    Config pekko = PekkoNodeConfig.from(s).withFallback(NodeConfigLoader.load(Optional.empty(), Map.of()));

    assertThat(pekko.getString("pekko.actor.provider")).isEqualTo("cluster");
    Config tuned = PekkoNodeConfig.smallClusterTuning(pekko).withFallback(pekko);
    assertThat(tuned.getString("pekko.cluster.downing-provider-class")).isEqualTo("dev.tessera.runtime.cluster.PromptDowningProvider");
    Config pekkos = NodeConfigLoader.load(Optional.empty(),
        Map.of("pekko.cluster.downing-provider-class", "org.apache.pekko.cluster.sbr.SplitBrainResolverProvider"));
    assertThat(PekkoNodeConfig.smallClusterTuning(pekkos).withFallback(pekkos).getString("pekko.cluster.downing-provider-class"))
        .as("Pekko's own resolver where the config names it").isEqualTo("org.apache.pekko.cluster.sbr.SplitBrainResolverProvider");
    assertThat(pekko.getString("pekko.cluster.split-brain-resolver.active-strategy")).isEqualTo("keep-majority");
    assertThat(pekko.getStringList("pekko.cluster.seed-nodes"))
        .containsExactly("pekko://tessera@10.0.0.1:25520", "pekko://tessera@[::1]:25521");
    assertThat(pekko.getBoolean("pekko.actor.allow-java-serialization")).isFalse();
    assertThat(pekko.getString("pekko.actor.serialization-bindings.\"dev.tessera.runtime.serialization.CborSerializable\""))
        .isEqualTo("jackson-cbor");
    assertThat(pekko.getString("pekko.remote.artery.transport")).isEqualTo("tcp");
    // Singletons and shards move hand-over-margin after a removal, not stable-after again.
    assertThat(pekko.getDuration("pekko.cluster.down-removal-margin")).isEqualTo(java.time.Duration.ofSeconds(1));
    assertThat(pekko.getDuration("pekko.cluster.split-brain-resolver.down-all-when-unstable"))
        .isEqualTo(java.time.Duration.ofSeconds(15));
  }

  @Test
  void aClientToleratesLongerSilenceFromTheNodesItWatchesThanTheNodesDoFromEachOther() {
    Config node = PekkoNodeConfig.from(settings(Map.of("tessera.node.roles", List.of("worker", "client"))));
    Config client = PekkoNodeConfig.from(settings(Map.of("tessera.node.roles", List.of(ComputeNode.CLIENT_ROLE))));

    assertThat(node.getDuration("pekko.cluster.failure-detector.acceptable-heartbeat-pause"))
        .isEqualTo(java.time.Duration.ofSeconds(2));
    assertThat(client.getDuration("pekko.cluster.failure-detector.acceptable-heartbeat-pause"))
        .isEqualTo(java.time.Duration.ofSeconds(8));
    // Never less than the nodes' own: a config raising acceptable-heartbeat-pause past 8 s raises it for clients too.
    Config patient = PekkoNodeConfig.from(settings(Map.of("tessera.node.roles", List.of(ComputeNode.CLIENT_ROLE),
        "tessera.node.failure-detection.acceptable-heartbeat-pause", "12s")));
    assertThat(patient.getDuration("pekko.cluster.failure-detector.acceptable-heartbeat-pause"))
        .isEqualTo(java.time.Duration.ofSeconds(12));
  }

  @Test
  void portOutOfRangeNamesTheKey() {
    assertThatThrownBy(() -> settings(Map.of("tessera.node.port", 70000)))
        .isInstanceOf(InvalidNodeSettingsException.class)
        .hasMessage("command-line flags: tessera.node.port = 70000 is out of range: allowed 0 .. 65535 (0 = any free port)");
  }

  @Test
  void seedWithoutPortIsRejected() {
    assertThatThrownBy(() -> settings(Map.of("tessera.node.seeds", List.of("pi-1"))))
        .isInstanceOf(InvalidNodeSettingsException.class)
        .hasMessageContaining("tessera.node.seeds: seed 'pi-1' is not host:port");
  }

  @Test
  void seedAddressParsesIpv6AndRejectsGarbage() {
    assertThat(SeedAddress.parse("[fe80::1]:2552")).isEqualTo(new SeedAddress("fe80::1", 2552));
    assertThat(SeedAddress.parse(" pi-1.local:25520 ")).isEqualTo(new SeedAddress("pi-1.local", 25520));
    assertThatThrownBy(() -> SeedAddress.parse("host:port")).hasMessageContaining("is not host:port");
    assertThatThrownBy(() -> SeedAddress.parse("host:0")).hasMessageContaining("invalid port");
    assertThatThrownBy(() -> SeedAddress.parse("fe80::1:2552")).hasMessageContaining("is not host:port");
  }

  @Test
  void badRoleNameIsRejected() {
    assertThatThrownBy(() -> settings(Map.of("tessera.node.roles", List.of("worker", "gpu card"))))
        .hasMessageContaining("tessera.node.roles: 'gpu card' is not a role name");
  }

  @Test
  void unknownKeyIsAnErrorWithASuggestion() throws IOException {
    Path file = dir.resolve("node.conf");
    Files.writeString(file, "tessera.node {\n  prot = 2552\n}\n");

    assertThatThrownBy(() -> NodeConfigLoader.load(Optional.of(file), Map.of()))
        .isInstanceOf(InvalidNodeSettingsException.class)
        .hasMessageContaining("node.conf: 2")
        .hasMessageContaining("unknown config key tessera.node.prot (did you mean tessera.node.port?)");
  }

  @Test
  void unknownNestedKeyIsAnError() {
    assertThatThrownBy(() -> NodeConfigLoader.load(Optional.empty(), Map.of("tessera.node.failure-detection.stable", "5s")))
        .hasMessageContaining("unknown config key tessera.node.failure-detection.stable");
  }

  @Test
  void pekkoKeysAreNotChecked() {
    Config c = NodeConfigLoader.load(Optional.empty(), Map.of("pekko.actor.my-dispatcher.type", "Dispatcher"));
    assertThat(c.getString("pekko.actor.my-dispatcher.type")).isEqualTo("Dispatcher");
  }

  @Test
  void malformedFileSaysWhereItIsMalformed() throws IOException {
    Path file = dir.resolve("broken.conf");
    Files.writeString(file, "tessera.node {\n  port = \n  roles = [worker\n}\n");

    assertThatThrownBy(() -> NodeConfigLoader.load(Optional.of(file), Map.of()))
        .isInstanceOf(InvalidNodeSettingsException.class)
        .hasMessageStartingWith("config file ")
        .hasMessageContaining("broken.conf");
  }

  @Test
  void missingFileIsNamed() {
    Path missing = dir.resolve("nope.conf");
    assertThatThrownBy(() -> NodeConfigLoader.load(Optional.of(missing), Map.of()))
        .hasMessage("config file " + missing + " does not exist");
  }

  @Test
  void wrongTypeNamesTheKey() {
    assertThatThrownBy(() -> settings(Map.of("tessera.node.join.timeout", "soon")))
        .hasMessage("command-line flags: tessera.node.join.timeout = \"soon\" is not a duration (allowed 1s .. 1d)");
  }

  @Test
  void tlsNeedsReadableStoresAndAPassword() throws IOException {
    assertThatThrownBy(() -> settings(Map.of("tessera.node.tls.enabled", true)))
        .hasMessageContaining("tessera.node.tls.key-store: must name a PKCS12 or JKS file");

    Path store = Files.writeString(dir.resolve("x.p12"), "not really a store");
    assertThatThrownBy(() -> settings(Map.of(
            "tessera.node.tls.enabled", true,
            "tessera.node.tls.key-store", store.toString(),
            "tessera.node.tls.trust-store", dir.resolve("missing.p12").toString())))
        .hasMessageContaining("tessera.node.tls.trust-store: cannot read");
  }

  @Test
  void managementPortMustDifferFromClusterPort() {
    assertThatThrownBy(() -> settings(Map.of("tessera.node.port", 7000, "tessera.node.management.port", 7000)))
        .hasMessage("tessera.node.management.port: must differ from port 7000");
  }

  @Test
  void editDistanceCountsEdits() {
    assertThat(KnownKeys.editDistance("port", "prot")).isEqualTo(2);
    assertThat(KnownKeys.editDistance("roles", "roles")).isZero();
    assertThat(KnownKeys.editDistance("", "abc")).isEqualTo(3);
  }

  @Test
  void applicationConfigIsCheckedToo() {
    Config app = ConfigFactory.parseString("tessera.node.cluster-nmae = x");
    assertThatThrownBy(() -> NodeConfigLoader.load(app))
        .hasMessageContaining("unknown config key tessera.node.cluster-nmae (did you mean tessera.node.cluster-name?)");
  }
}
