package dev.tessera.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.job.JobProgress;
import dev.tessera.runtime.launch.LocalCluster;
import dev.tessera.runtime.launch.NodeProcess;
import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.work.JobHandle;
import dev.tessera.work.JobResult;
import dev.tessera.work.WorkPulling;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Routine operations and single bad tasks on three real worker processes, with a job submitted from
 * this JVM (a coordinator-only member): a poison task that takes its JVM down kills at most two
 * nodes and fails naming them; a node sent SIGTERM finishes its running task before it leaves;
 * rolling restarts charge nothing and lose nothing.
 */
class TaskLossOnNodesTest {

  @TempDir Path dir;

  /** Three worker processes and this JVM as the submitter, all Up. */
  private record Cluster(LocalCluster workers, ComputeNode submitter) implements AutoCloseable {
    static Cluster start(Path logs) throws Exception {
      LocalCluster workers = LocalCluster.startOnFreePorts(LocalCluster.Spec.onFreePorts(3, logs));
      try {
        Await.until("3 worker nodes Up", Duration.ofSeconds(120), () -> workers.view(1).upCount() == 3);
        ComputeNode submitter = ComputeNode.joinAsClient(workers.spec().seedList(), Map.of(), Duration.ofSeconds(60));
        return new Cluster(workers, submitter);
      } catch (Exception | Error e) {
        workers.close();
        throw e;
      }
    }

    long alive() {
      return IntStream.rangeClosed(1, 3).filter(i -> workers.node(i).isAlive()).count();
    }

    @Override
    public void close() {
      try {
        submitter.close();
      } finally {
        workers.close();
      }
    }
  }

  @Test
  void aTaskCallingSystemExitKillsOneNodeAndFailsAsPoisonWhileTheOther199Succeed() throws Exception {
    poisonTaskKillsAtMostTwoNodes("exit");
  }

  @Test
  void aTaskCallingRuntimeHaltKillsAtMostTwoNodesAndFailsAsPoisonNamingThem() throws Exception {
    poisonTaskKillsAtMostTwoNodes("halt");
  }

  @Test
  void anIsolatedTaskCallingSystemExitKillsNoNodeAndFailsAsPoisonNamingTheChildJvms() throws Exception {
    try (Cluster cluster = Cluster.start(dir)) {
      List<ChaosTasks.Poisoned> inputs =
          IntStream.range(0, 200).mapToObj(x -> new ChaosTasks.Poisoned(x, 137, "exit")).toList();
      JobHandle<Long> job = WorkPulling.submit(cluster.submitter().system(), ChaosTasks.POISONED_SQUARE_ISOLATED, inputs,
          JobOptions.defaults().withBatchSize(10));

      JobResult<Long> result = job.result().toCompletableFuture().get(180, TimeUnit.SECONDS);

      assertThat(result.failures()).containsOnlyKeys(137);
      assertThat(result.failures().get(137).lastCause())
          .startsWith("poison: 2 workers died while this task was on them")
          .contains("(child JVM, exit code 1)");
      for (int x = 0; x < 200; x++) {
        if (x != 137) {
          assertThat(result.results().get(x)).as("task %d", x).isEqualTo((long) x * x);
        }
      }
      assertThat(cluster.alive()).as("no node died").isEqualTo(3);
      assertThat(result.progress().retried()).as("no task failed but the poison").isZero();
    }
  }

  private void poisonTaskKillsAtMostTwoNodes(String how) throws Exception {
    try (Cluster cluster = Cluster.start(dir)) {
      List<ChaosTasks.Poisoned> inputs =
          IntStream.range(0, 200).mapToObj(x -> new ChaosTasks.Poisoned(x, 137, how)).toList();
      JobHandle<Long> job = WorkPulling.submit(cluster.submitter().system(), ChaosTasks.POISONED_SQUARE, inputs,
          JobOptions.defaults().withBatchSize(10));

      JobResult<Long> result = job.result().toCompletableFuture().get(180, TimeUnit.SECONDS);

      assertThat(result.failures()).containsOnlyKeys(137);
      String cause = result.failures().get(137).lastCause();
      assertThat(cause).startsWith("poison: ");
      // With System.exit the verdict comes from the dying node itself, before its JVM is gone.
      Await.until("a node killed by the poison task has exited", Duration.ofSeconds(60), () -> cluster.alive() < 3);
      long died = 3 - cluster.alive();
      assertThat(died).as("nodes the poison task killed").isBetween(1L, 2L);
      if (how.equals("exit")) {
        assertThat(died).as("a handler inside System.exit is named by its own node").isEqualTo(1);
        assertThat(cause).contains("System.exit");
      } else {
        assertThat(cause).contains("2 workers died");
      }
      for (int i = 1; i <= 3; i++) {
        if (!cluster.workers().node(i).isAlive() && how.equals("halt")) {
          assertThat(cause).as("names the node it killed").contains(cluster.workers().address(i));
        }
      }
      for (int x = 0; x < 200; x++) {
        if (x != 137) {
          assertThat(result.results().get(x)).as("task %d", x).isEqualTo((long) x * x);
        }
      }
      assertThat(result.progress().retried()).as("no task failed but the poison").isZero();
    }
  }

  @Test
  void aNodeSentSigtermFinishesItsTenSecondTaskBeforeItLeavesAndTheResultIsCommittedOnce() throws Exception {
    try (Cluster cluster = Cluster.start(dir)) {
      JobHandle<Long> job = WorkPulling.submit(cluster.submitter().system(), ChaosTasks.SLEEPY_PID,
          List.of(new ChaosTasks.Sleepy(0, 10_000, dir.toString(), null)), JobOptions.defaults());
      Path started = dir.resolve("started.log");
      Await.until("the task started", Duration.ofSeconds(60), () -> Files.exists(started) && !Files.readString(started).isBlank());
      long pid = Long.parseLong(Files.readString(started).trim().split(" ")[0]);
      NodeProcess running = IntStream.rangeClosed(1, 3).mapToObj(i -> cluster.workers().node(i))
          .filter(node -> node.pid() == pid).findFirst().orElseThrow();

      running.terminate();
      JobResult<Long> result = job.result().toCompletableFuture().get(60, TimeUnit.SECONDS);
      Await.until(running + " exited", Duration.ofSeconds(60), () -> !running.isAlive());

      assertThat(result.results()).as("it ran to the end on the node that was told to stop").containsExactly(pid);
      assertThat(Files.readAllLines(started)).as("it ran once").hasSize(1);
      JobProgress progress = result.progress();
      assertThat(progress.retried() + progress.lostLeases() + progress.workerDeaths() + progress.duplicatesDropped())
          .isZero();
      assertThat(Files.readString(running.logFile())).contains("drained: every running task finished and reported");
    }
  }

  @Test
  void rollingRestartsWithAJobRunningFailNothingChargeNothingAndLoseNothing() throws Exception {
    try (Cluster cluster = Cluster.start(dir)) {
      // Tasks sleep 20 ms while the gate exists, so the job outlasts the restarts; then they hurry.
      Path gate = Files.createFile(dir.resolve("gate"));
      int tasks = 20_000;
      List<ChaosTasks.Sleepy> inputs =
          IntStream.range(0, tasks).mapToObj(x -> new ChaosTasks.Sleepy(x, 20, null, gate.toString())).toList();
      JobHandle<Long> job = WorkPulling.submit(cluster.submitter().system(), ChaosTasks.SLEEPY_PID, inputs,
          JobOptions.defaults());
      List<Integer> exitCodes = new ArrayList<>();
      for (int round = 1; round <= 3; round++) {
        for (int i = 1; i <= 3; i++) {
          NodeProcess node = cluster.workers().node(i);
          node.terminate();
          Await.until(node + " exited", Duration.ofSeconds(60), () -> !node.isAlive());
          exitCodes.add(node.exitValue());
          cluster.workers().startNode(i);
          int other = 1 + i % 3;
          Await.until("4 members Up again", Duration.ofSeconds(120), () -> cluster.workers().view(other).upCount() == 4);
        }
      }
      JobProgress during = job.progress().toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertThat(during.done()).as("the job still ran when the restarts ended").isLessThan(tasks);
      Files.delete(gate);

      JobResult<Long> result = job.result().toCompletableFuture().get(300, TimeUnit.SECONDS);
      JobProgress progress = result.progress();
      assertThat(result.failures()).isEmpty();
      assertThat(progress.done()).isEqualTo(tasks);
      assertThat(result.results()).allSatisfy(pid -> assertThat(pid).isPositive());
      assertThat(progress.retried()).as("no task failure charged").isZero();
      assertThat(progress.workerDeaths()).as("graceful leaves are not deaths").isZero();
      assertThat(progress.duplicatesDropped()).as("every task ran to one result").isZero();
      assertThat(exitCodes).as("each node left gracefully").allSatisfy(code -> assertThat(code).isEqualTo(143));
    }
  }
}
