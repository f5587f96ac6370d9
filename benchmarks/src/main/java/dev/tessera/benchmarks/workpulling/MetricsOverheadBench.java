package dev.tessera.benchmarks.workpulling;

import dev.tessera.benchmarks.BenchTasks;
import dev.tessera.chaos.Await;
import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.launch.LocalCluster;
import dev.tessera.runtime.metrics.NodeMetrics;
import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.runtime.node.NodeConfigLoader;
import dev.tessera.work.JobResult;
import dev.tessera.work.WorkPulling;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * {@code bin/bench-work-pulling --metrics-overhead [rounds]}: what the node meters cost. One
 * cluster of {@link WorkPullingBench}'s shape (two node processes plus a node in this JVM that
 * submits and works too) runs the batch-size-1 no-op job again and again, with every node's
 * metrics recording and paused in turn ({@link NodeMetrics#recording}, switched on the node
 * processes by a task pinned to each: {@link BenchTasks#METRICS_SWITCH}); which goes first
 * alternates. The same processes, heaps and JIT state on both sides: an earlier design with two
 * clusters (one with metrics on, one off) showed the two clusters differing by more than the
 * meters. Batch size 1 is where the per-task cost shows most: one lease, one result, one duration
 * sample per task. Printed: each round, the medians, the median of the rounds' ratios, and what
 * the meters cost per task alone in a loop ({@link MeterCost}).
 */
public final class MetricsOverheadBench {

  private static final Duration LIMIT = Duration.ofMinutes(5);
  private static final int TASKS = 60_000;

  private MetricsOverheadBench() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 11;
    Path dir = Files.createTempDirectory("tessera-bench-metrics-");
    LocalCluster.Spec spec = LocalCluster.Spec.onFreePorts(2, dir).withRoles(List.of("worker"))
        .withExtraRoles(List.of(List.of("metered-1"), List.of("metered-2")));
    try (LocalCluster cluster = LocalCluster.startOnFreePorts(spec);
        ComputeNode node = ComputeNode.start(NodeConfigLoader.load(Optional.empty(), Map.of(
            "tessera.node.port", 0,
            "tessera.node.management.enabled", false,
            "tessera.node.roles", List.of("worker", "coordinator"),
            "tessera.node.seeds", cluster.spec().seedList())))) {
      Await.until("3 nodes Up", LIMIT, () -> node.members().stream()
          .filter(m -> m.status() == org.apache.pekko.cluster.MemberStatus.up()).count() == 3);
      System.out.printf("3 nodes (2 processes + this JVM), %d cores; %d no-op tasks at batch size 1 per run%n"
          + "warming up ...%n", Runtime.getRuntime().availableProcessors(), TASKS);
      metrics(node, true);
      rate(node, TASKS / 2);
      metrics(node, false);
      rate(node, TASKS / 2);
      List<Double> onRates = new ArrayList<>();
      List<Double> offRates = new ArrayList<>();
      List<Double> ratios = new ArrayList<>();
      for (int round = 1; round <= rounds; round++) {
        // Which goes first alternates, so that a drift of the machine falls on both alike.
        boolean onFirst = round % 2 == 1;
        metrics(node, onFirst);
        double first = rate(node, TASKS);
        metrics(node, !onFirst);
        double second = rate(node, TASKS);
        double on = onFirst ? first : second;
        double off = onFirst ? second : first;
        onRates.add(on);
        offRates.add(off);
        ratios.add(on / off);
        System.out.printf("round %d/%d: metrics on %.0f tasks/s, off %.0f tasks/s, on/off %.3f%n", round, rounds, on, off,
            on / off);
      }
      metrics(node, true);
      System.out.printf("%nmedians over %d rounds: metrics on %.0f tasks/s, off %.0f tasks/s; median of the rounds' "
          + "on/off = %.3f (range %.3f .. %.3f)%n", rounds, median(onRates), median(offRates), median(ratios),
          ratios.stream().mapToDouble(Double::doubleValue).min().orElse(0),
          ratios.stream().mapToDouble(Double::doubleValue).max().orElse(0));
      double perTask = MeterCost.nanosPerTask(node.system());
      System.out.printf("what the meters do per task (a lease, a result, a duration sample), alone in a loop: %.0f ns; "
          + "at the median rate with metrics off, one task takes %.0f ns of the cluster's time on %d cores: %.2f %%%n",
          perTask, 1e9 * Runtime.getRuntime().availableProcessors() / median(offRates),
          Runtime.getRuntime().availableProcessors(),
          100 * perTask / (1e9 * Runtime.getRuntime().availableProcessors() / median(offRates)));
    }
  }

  /** Switches recording on every node: this JVM's directly, each process's by a task pinned to it. */
  private static void metrics(ComputeNode node, boolean on) throws Exception {
    NodeMetrics.get(node.system()).recording(on);
    for (int i = 1; i <= 2; i++) {
      JobResult<String> result = WorkPulling.submit(node.system(), BenchTasks.METRICS_SWITCH, List.of(on),
              JobOptions.defaults().withRequiredRole("metered-" + i))
          .result().toCompletableFuture().get(LIMIT.toSeconds(), TimeUnit.SECONDS);
      if (!result.succeeded()) {
        throw new IllegalStateException("could not switch node " + i + "'s metrics: " + result.failures());
      }
    }
  }

  private static double rate(ComputeNode node, int tasks) throws Exception {
    return WorkPullingBench.noOpRate(node, tasks, JobOptions.defaults().withBatchSize(1));
  }

  private static double median(List<Double> values) {
    return WorkPullingBench.median(values);
  }
}
