package dev.tessera.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.runtime.data.DataRef;
import dev.tessera.runtime.data.DataStore;
import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.job.JobProgress;
import dev.tessera.runtime.launch.LocalCluster;
import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.work.JobHandle;
import dev.tessera.work.JobResult;
import dev.tessera.work.WorkPulling;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Large task results travel by reference: the worker stores each and the coordinator fetches it,
 * node to node. Here the node serving a result is killed with SIGKILL in the middle of its
 * transfer; the result is made again by running its task again (its lineage) on another node, and
 * the job ends with every result equal to a fault-free computation.
 */
class ObjectLineageTest {

  private static final int TASKS = 6;
  private static final int BLOCK_BYTES = 16 << 20;

  @TempDir Path logs;

  @Test
  void aResultWhoseNodeIsKilledMidTransferIsMadeAgainFromItsTask() throws Exception {
    // Each node serves at most 8 MiB/s, so a 16 MiB result takes about two seconds to move: long
    // enough to kill its node while it does, whatever the machine's speed.
    Path config = logs.resolve("slow-serving.conf");
    Files.writeString(config, "tessera.data.max-serve-rate = 8 MiB\n");
    LocalCluster.Spec spec = LocalCluster.Spec.onFreePorts(3, logs)
        .withExtraNodeArguments(List.of("--config", config.toString()));
    try (LocalCluster workers = LocalCluster.startOnFreePorts(spec)) {
      Await.until("3 worker nodes Up", Duration.ofSeconds(120), () -> workers.view(1).upCount() == 3);
      try (ComputeNode submitter = ComputeNode.joinAsClient(workers.spec().seedList(), Map.of(), Duration.ofSeconds(60))) {
        Await.until("4 members Up", Duration.ofSeconds(60), () -> workers.view(1).upCount() == 4);

        List<ChaosTasks.Block> blocks = IntStream.range(0, TASKS)
            .mapToObj(i -> new ChaosTasks.Block(1000 + i, BLOCK_BYTES)).toList();
        JobHandle<byte[]> job = WorkPulling.submit(submitter.system(), ChaosTasks.LARGE_BLOCK, blocks, JobOptions.defaults());

        DataStore store = DataStore.get(submitter.system());
        Await.until("a result in transfer", Duration.ofSeconds(120), () -> !store.transfersInFlight().isEmpty());
        DataRef<?> moving = store.transfersInFlight().get(0);
        int owner = IntStream.rangeClosed(1, 3).filter(i -> moving.owner().node().endsWith(":" + spec.port(i)))
            .findFirst().orElseThrow(() -> new AssertionError("no node serves " + moving));
        workers.node(owner).kill();

        JobResult<byte[]> result = job.result().toCompletableFuture().get(180, TimeUnit.SECONDS);
        JobProgress progress = result.progress();
        assertThat(result.succeeded()).as("failures: %s", result.failures()).isTrue();
        assertThat(progress.done()).isEqualTo(TASKS);
        for (int i = 0; i < TASKS; i++) {
          assertThat(Arrays.equals(result.results().get(i), ChaosTasks.blockBytes(blocks.get(i))))
              .as("result %d equals a fault-free computation", i).isTrue();
        }
        assertThat(progress.lostLeases() + progress.workerDeaths()).as("the lost result's task ran again")
            .isPositive();
        assertThat(progress.retried()).as("a lost node is not a task failure").isZero();
      }
    }
  }
}
