package dev.tessera.runtime.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import dev.tessera.runtime.serialization.CborSerializable;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.Test;

class ComputeNodeTest {

  /** A message of ours: it must travel as CBOR. */
  record Ping(String text, int count) implements CborSerializable {}

  /** Not ours, only java.io.Serializable: it must not travel at all. */
  record Smuggled(String payload) implements Serializable {}

  /** Adds the {@code gpu} role when the config says a device is present, as a GPU module would. */
  static final class DeviceRolePlugin implements NodePlugin {
    /** The roles the node had when {@link #start} ran. */
    final AtomicReference<Set<String>> rolesAtStart = new AtomicReference<>();

    @Override
    public Set<String> rolesToAdvertise(Config config) {
      return config.getBoolean("test.device-present") ? Set.of("gpu") : Set.of();
    }

    @Override
    public void start(ComputeNode node) {
      rolesAtStart.set(node.settings().roles());
    }
  }

  /** Cannot tell which roles to add: its probe of the machine fails. */
  static final class BrokenProbePlugin implements NodePlugin {
    volatile boolean started;

    @Override
    public Set<String> rolesToAdvertise(Config config) {
      throw new IllegalStateException("device driver not loaded");
    }

    @Override
    public void start(ComputeNode node) {
      started = true;
    }
  }

  /** Fails to start the way a broken classpath does: with an Error, not an exception. */
  static final class MissingProviderPlugin implements NodePlugin {
    volatile ComputeNode node;

    @Override
    public void start(ComputeNode node) {
      this.node = node;
      throw new java.util.ServiceConfigurationError("dev.tessera.runtime.job.TaskLibrary: Provider com.example.Gone not found");
    }
  }

  private static Config config(Map<String, Object> overrides) {
    Map<String, Object> all = new java.util.HashMap<>(Map.of(
        "tessera.node.port", 0,
        "tessera.node.management.port", 0,
        "tessera.node.join.timeout", "30s"));
    all.putAll(overrides);
    return NodeConfigLoader.load(Optional.empty(), all);
  }

  private static ComputeNode startNode(Map<String, Object> overrides) {
    return ComputeNode.start(config(overrides));
  }

  @Test
  void secondNodeJoinsThroughTheFirstAndLeavesGracefully() throws Exception {
    List<ComputeNode> started = new ArrayList<>();
    try {
      ComputeNode first = startNode(Map.of("tessera.node.roles", List.of("worker", "coordinator")));
      started.add(first);
      first.whenUp().toCompletableFuture().get(30, TimeUnit.SECONDS);
      int firstPort = first.address().getPort().get();

      ComputeNode second = startNode(Map.of(
          "tessera.node.seeds", List.of("127.0.0.1:" + firstPort),
          "tessera.node.roles", List.of("gpu")));
      started.add(second);
      second.whenUp().toCompletableFuture().get(30, TimeUnit.SECONDS);

      awaitTrue(() -> first.members().stream().filter(m -> m.status() == MemberStatus.up()).count() == 2,
          "first node sees two Up members");
      assertThat(first.members()).anySatisfy(m -> assertThat(m.getRoles()).contains("gpu"));
      assertThat(second.members()).anySatisfy(m -> assertThat(m.getRoles()).contains("coordinator", "worker"));
      assertThat(first.managementUri()).hasValueSatisfying(uri -> assertThat(uri.getPort()).isPositive());

      second.close();

      awaitTrue(() -> first.members().size() == 1, "first node sees the second one removed");
      assertThat(second.whenTerminated().toCompletableFuture().get(5, TimeUnit.SECONDS))
          .isEqualTo(org.apache.pekko.actor.CoordinatedShutdown.clusterLeavingReason());
    } finally {
      started.forEach(ComputeNode::close);
    }
  }

  @Test
  void aSecondNodeOnATakenPortFailsWithAddressInUse() throws Exception {
    try (ComputeNode first = startNode(Map.of())) {
      int port = first.address().getPort().get();

      assertThatThrownBy(() -> startNode(Map.of("tessera.node.port", port)))
          .isInstanceOf(NodeStartException.class)
          .hasMessage("cluster port " + port + " on 127.0.0.1 is already in use (is another node running there?)")
          .satisfies(e -> assertThat(((NodeStartException) e).reason()).isEqualTo(NodeStartException.Reason.ADDRESS_IN_USE));
    }
  }

  @Test
  void anUnresolvableSeedIsRejectedBeforeStarting() {
    assertThatThrownBy(() -> startNode(Map.of("tessera.node.seeds", List.of("no-such-host.invalid:25520"))))
        .isInstanceOf(NodeStartException.class)
        .hasMessage("seed no-such-host.invalid:25520: host 'no-such-host.invalid' cannot be resolved");
  }

  @Test
  void ourMessagesTravelAsCborAndJavaSerializationIsRefused() throws Exception {
    try (ComputeNode node = startNode(Map.of("tessera.node.management.enabled", false))) {
      Serialization serialization = SerializationExtension.get(node.system());

      Ping ping = new Ping("hello", 3);
      assertThat(serialization.findSerializerFor(ping).getClass().getSimpleName()).isEqualTo("JacksonCborSerializer");
      byte[] bytes = serialization.serialize(ping).get();
      assertThat(serialization.deserialize(bytes, Ping.class).get()).isEqualTo(ping);

      assertThat(serialization.serialize(new Smuggled("gadget")).isFailure()).isTrue();
    }
  }

  @Test
  void rolesAPluginAdvertisesBecomeTheNodesClusterRoles() throws Exception {
    Config config = config(Map.of(
        "tessera.node.management.enabled", false,
        "tessera.node.roles", List.of("worker"),
        "test.device-present", true));
    DeviceRolePlugin plugin = new DeviceRolePlugin();

    try (ComputeNode node = ComputeNode.start(NodeSettings.create(config), config, List.of(plugin))) {
      node.whenUp().toCompletableFuture().get(30, TimeUnit.SECONDS);

      assertThat(node.settings().roles()).containsExactlyInAnyOrder("worker", "gpu");
      assertThat(Cluster.get(node.system()).selfMember().getRoles()).contains("worker", "gpu");
      assertThat(plugin.rolesAtStart.get()).as("start(node) sees the added role").contains("gpu");
    }
  }

  @Test
  void aPluginThatAdvertisesNoRoleLeavesTheConfiguredRoles() throws Exception {
    Config config = config(Map.of(
        "tessera.node.management.enabled", false,
        "tessera.node.roles", List.of("worker"),
        "test.device-present", false));

    try (ComputeNode node = ComputeNode.start(NodeSettings.create(config), config, List.of(new DeviceRolePlugin()))) {
      node.whenUp().toCompletableFuture().get(30, TimeUnit.SECONDS);

      assertThat(node.settings().roles()).containsExactly("worker");
      assertThat(Cluster.get(node.system()).selfMember().getRoles()).doesNotContain("gpu");
    }
  }

  @Test
  void aPluginThatFailsToChooseItsRolesStopsTheStartNamingIt() {
    Config config = config(Map.of("tessera.node.management.enabled", false));
    BrokenProbePlugin broken = new BrokenProbePlugin();

    assertThatThrownBy(() -> ComputeNode.start(NodeSettings.create(config), config, List.of(broken)))
        .isInstanceOf(NodeStartException.class)
        .hasMessageContaining(BrokenProbePlugin.class.getName())
        .hasMessageContaining("device driver not loaded")
        .satisfies(e -> assertThat(((NodeStartException) e).reason()).isEqualTo(NodeStartException.Reason.OTHER));
    assertThat(broken.started).as("start(node) never runs").isFalse();
  }

  @Test
  void aPluginThatFailsWithAnErrorStopsTheNodeInsteadOfLeavingItAMember() throws Exception {
    Config config = config(Map.of("tessera.node.management.enabled", false));
    MissingProviderPlugin broken = new MissingProviderPlugin();

    assertThatThrownBy(() -> ComputeNode.start(NodeSettings.create(config), config, List.of(broken)))
        .isInstanceOf(NodeStartException.class)
        .hasMessageContaining(MissingProviderPlugin.class.getName())
        .hasMessageContaining("com.example.Gone not found");
    // A member without its plugins (no task worker, no shard region) would stall sharding for
    // the whole cluster: the node's actor system must be gone.
    broken.node.system().getWhenTerminated().toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
  }

  static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(50);
    }
  }
}
