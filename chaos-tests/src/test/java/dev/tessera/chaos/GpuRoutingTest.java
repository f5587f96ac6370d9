package dev.tessera.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.cli.TesseraCommand;
import dev.tessera.gpu.cuda.GpuDiscovery;
import dev.tessera.gpu.tasks.KernelTasks.ProductSummary;
import dev.tessera.gpu.tasks.KernelTasks.RandomProduct;
import dev.tessera.gpu.tasks.KernelTasks;
import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.launch.FreePorts;
import dev.tessera.runtime.launch.LocalCluster;
import dev.tessera.runtime.launch.NodeProcess;
import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.work.JobResult;
import dev.tessera.work.WorkPulling;
import dev.tessera.work.engine.JobReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GPU jobs go only to nodes with the {@code gpu} role, and a job needing a GPU node fails, naming
 * the role, when the cluster has none. Real node processes: a CPU worker with the GPU module off,
 * and a node started with {@code --roles worker,gpu}, which on a machine without the NVIDIA driver
 * (CI) also shows the fallback: it starts, says why it has no GPU, and computes on the CPU.
 */
class GpuRoutingTest {

  @TempDir Path logs;

  @Test
  void gpuJobsRunOnlyOnGpuNodesAndFailClearlyWhenThereIsNone() throws Exception {
    Path cpuOnly = Files.writeString(logs.resolve("cpu-only.conf"), "tessera.gpu.mode = off\n");
    LocalCluster.Spec spec = LocalCluster.Spec.of(1, FreePorts.block(2), FreePorts.block(2), logs)
        .withExtraNodeArguments(List.of("--config", cpuOnly.toString()));
    NodeProcess gpuNode = null;
    try (LocalCluster cpuWorkers = LocalCluster.start(spec);
        ComputeNode submitter = ComputeNode.joinAsClient(spec.seedList(), Map.of(), Duration.ofSeconds(60))) {
      Await.until("2 members Up", Duration.ofSeconds(60), () -> cpuWorkers.view(1).upCount() == 2);
      List<RandomProduct> inputs = IntStream.range(0, 12).mapToObj(i -> new RandomProduct(17 + 20 * i, i)).toList();
      JobOptions onGpuNodes = JobOptions.defaults().withRequiredRole("gpu").withNoCapableNodeTimeout(Duration.ofSeconds(3));

      // No node has the gpu role: the job ends with every task failed, saying so.
      JobResult<ProductSummary> nowhere = WorkPulling.submit(submitter.system(), KernelTasks.RANDOM_PRODUCT, inputs, onGpuNodes)
          .result().toCompletableFuture().get(60, TimeUnit.SECONDS);

      assertThat(nowhere.failures()).hasSize(inputs.size());
      assertThat(nowhere.failures().values())
          .extracting(JobReport.TaskFailure::lastCause)
          .allSatisfy(cause -> assertThat(cause).contains("no node in the cluster has role 'gpu'"));

      // A node with the gpu role joins: the same job runs there, and only there.
      int gpuPort = spec.basePort() + 1;
      List<String> arguments = new ArrayList<>(List.of(
          "node", "--cluster-name", spec.clusterName(), "--host", "127.0.0.1",
          "--port", String.valueOf(gpuPort), "--http-port", String.valueOf(spec.baseHttpPort() + 1),
          "--seeds", spec.seeds(), "--roles", "worker,gpu", "--join-timeout", "120s",
          "--parent-pid", String.valueOf(ProcessHandle.current().pid())));
      gpuNode = NodeProcess.start("gpu-node", arguments, "256m", logs.resolve("gpu-node.log"));
      Await.until("3 members Up", Duration.ofSeconds(120), () -> cpuWorkers.view(1).upCount() == 3);

      JobResult<ProductSummary> routed = WorkPulling.submit(submitter.system(), KernelTasks.RANDOM_PRODUCT, inputs, onGpuNodes)
          .result().toCompletableFuture().get(120, TimeUnit.SECONDS);

      assertThat(routed.succeeded()).as("failures: %s", routed.failures()).isTrue();
      for (int i = 0; i < inputs.size(); i++) {
        ProductSummary summary = routed.results().get(i);
        double[] expected = KernelTasks.expectedSum(inputs.get(i));
        assertThat(summary.node()).as("task %d ran on", i).endsWith("@127.0.0.1:" + gpuPort);
        assertThat(summary.n()).isEqualTo(inputs.get(i).n());
        assertThat(Math.abs(summary.sum() - expected[0])).as("task %d's sum error", i).isLessThanOrEqualTo(expected[1]);
      }
      // `tessera gpus` lists what the nodes advertise.
      NodeProcess gpus = NodeProcess.start("cluster gpus", TesseraCommand.class.getName(), List.of("gpus", "--seeds", spec.seeds(), "--timeout", "60"),
          "192m", logs.resolve("cluster-gpus.log"));
      try {
        assertThat(gpus.awaitExit(Duration.ofSeconds(90))).as("cluster gpus exited").isTrue();
        assertThat(gpus.exitValue()).as("cluster gpus: %s", gpus.output()).isZero();
      } finally {
        gpus.stop(Duration.ofSeconds(5));
      }
      if (!GpuDiscovery.discover().found()) {
        assertThat(routed.results()).extracting(ProductSummary::kernels).allSatisfy(k -> assertThat(k).startsWith("cpu: "));
        assertThat(gpuNode.awaitOutput(Pattern.compile("no GPU \\(.*\\); kernels run on the CPU"), Duration.ofSeconds(5))).isTrue();
        assertThat(gpuNode.output()).contains("has role 'gpu' but no usable GPU");
        assertThat(gpus.output())
            .contains("no node of the cluster has a GPU it can use")
            .contains("@127.0.0.1:" + gpuPort + " has role 'gpu' but no usable GPU");
      }
    } finally {
      if (gpuNode != null) {
        gpuNode.stop(Duration.ofSeconds(10));
      }
    }
  }
}
