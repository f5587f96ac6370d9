package dev.tessera.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.gpu.kernels.CpuBackend;
import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.runtime.node.NodeConfigLoader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.MemberStatus;
import org.junit.jupiter.api.Test;

/**
 * The cluster's GPUs as {@code cluster gpus} lists them: a device registered on one node is
 * described, over the network (every message serialized), to another; a node with the gpu role
 * and no device is named as such.
 */
class GpuDirectoryTest {

  private static ComputeNode node(List<String> seeds) {
    return ComputeNode.start(NodeConfigLoader.load(Optional.empty(), Map.of(
        "tessera.node.port", 0,
        "tessera.node.management.enabled", false,
        "tessera.node.roles", List.of("gpu"),
        "tessera.node.seeds", seeds,
        // This test places its own (testing) device; a GPU of the machine must not join in.
        "tessera.gpu.mode", "off",
        "pekko.actor.serialize-messages", "on",
        "pekko.cluster.jmx.multi-mbeans-in-same-jvm", "on")));
  }

  @Test
  void devicesAreDescribedAcrossTheClusterAndGpuNodesWithoutOneAreNamed() throws Exception {
    try (CpuBackend cpu = CpuBackend.create(CpuBackend.Blas.JAVA, 1);
        ComputeNode withDevice = node(List.of())) {
      withDevice.whenUp().toCompletableFuture().get(30, TimeUnit.SECONDS);
      try (ComputeNode withoutDevice = node(List.of("127.0.0.1:" + withDevice.address().getPort().get()))) {
        withoutDevice.whenUp().toCompletableFuture().get(30, TimeUnit.SECONDS);
        ActorRef<GpuActor.Command> gpu = withDevice.system().systemActorOf(
            GpuActor.create(TestingKernelDevice.DEVICE, d -> new TestingKernelDevice(cpu),
                new GpuActor.Settings(8, 1 << 20, Duration.ofMillis(50))),
            "testing-gpu", org.apache.pekko.actor.typed.Props.empty());
        withDevice.system().receptionist().tell(Receptionist.register(GpuActor.SERVICE_KEY, gpu));
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (withoutDevice.members().stream().filter(m -> m.status() == MemberStatus.up()).count() < 2) {
          assertThat(System.nanoTime()).as("both nodes Up within 30 s").isLessThan(deadline);
          Thread.sleep(50);
        }

        GpuDirectory.Listing listing = GpuDirectory.list(withoutDevice.system(), "gpu", Duration.ofSeconds(20));

        assertThat(listing.devices()).containsExactly(new GpuDirectory.Entry(withDevice.address(), TestingKernelDevice.DEVICE));
        assertThat(listing.gpuNodesWithoutDevice()).containsExactly(withoutDevice.address());
        StringWriter printed = new StringWriter();
        listing.print(new PrintWriter(printed), "gpu");
        assertThat(printed.toString())
            .contains("Testing GPU")
            .contains("1024 MiB")
            .contains(withoutDevice.address() + " has role 'gpu' but no usable GPU");
      }
    }
  }
}
