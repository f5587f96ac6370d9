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
import java.util.stream.IntStream;

/**
 * {@code bin/bench-work-pulling --metrics-overhead [rounds]}: what the node meters cost. Two
 * clusters of the same shape as {@link WorkPullingBench}'s (two node processes plus a node in this
 * JVM that submits), one with {@code tessera.metrics.enabled = on}, one with it off, run the
 * batch-size-1 no-op job in turn (on, off, on, off, ...: the machine's noise falls on both), and
 * the medians and their ratio are printed. Batch size 1 is where the per-task cost shows most: one
 * lease, one result, one duration sample per task.
 */
public final class MetricsOverheadBench {

  private static final Duration LIMIT = Duration.ofMinutes(5);
  private static final int TASKS = 60_000;

  private MetricsOverheadBench() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 11;
    // --control: both clusters with metrics on, to see what the two clusters differ by on their own.
    boolean control = args.length > 1 && args[1].equals("--control");
    Path dir = Files.createTempDirectory("tessera-bench-metrics-");
    Path off = Files.writeString(dir.resolve("metrics-off.conf"),
        "tessera.metrics.enabled = " + (control ? "on" : "off") + "\n");
    LocalCluster.Spec onSpec = LocalCluster.Spec.onFreePorts(2, dir.resolve("on")).withRoles(List.of("worker"));
    try (LocalCluster on = LocalCluster.startOnFreePorts(onSpec)) {
      LocalCluster.Spec offSpec = LocalCluster.Spec.onFreePorts(2, dir.resolve("off")).withRoles(List.of("worker"))
          .withExtraNodeArguments(List.of("--config", off.toString()));
      try (LocalCluster offCluster = LocalCluster.startOnFreePorts(offSpec);
          ComputeNode withMetrics = submitter(on, true);
          ComputeNode without = submitter(offCluster, control)) {
        if (control) {
          System.out.println("CONTROL RUN: both clusters have metrics on; 'off' below is the second cluster");
        } else if (!NodeMetrics.get(withMetrics.system()).enabled() || NodeMetrics.get(without.system()).enabled()) {
          throw new IllegalStateException("the two clusters' metrics are not on and off as intended");
        }
        for (ComputeNode n : List.of(withMetrics, without)) {
          Await.until("3 nodes Up", LIMIT, () -> n.members().stream()
              .filter(m -> m.status() == org.apache.pekko.cluster.MemberStatus.up()).count() == 3);
        }
        System.out.printf("two clusters of 3 nodes (2 processes + this JVM each), %d cores; %d no-op tasks at batch size 1"
            + " per run%nwarming up ...%n", Runtime.getRuntime().availableProcessors(), TASKS);
        rate(withMetrics, TASKS / 2);
        rate(without, TASKS / 2);
        List<Double> onRates = new ArrayList<>();
        List<Double> offRates = new ArrayList<>();
        List<Double> ratios = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
          // Which goes first alternates, so that a drift of the machine falls on both alike.
          double a;
          double b;
          if (round % 2 == 1) {
            a = rate(withMetrics, TASKS);
            b = rate(without, TASKS);
          } else {
            b = rate(without, TASKS);
            a = rate(withMetrics, TASKS);
          }
          onRates.add(a);
          offRates.add(b);
          ratios.add(a / b);
          System.out.printf("round %d/%d: metrics on %.0f tasks/s, off %.0f tasks/s, on/off %.3f%n", round, rounds, a, b, a / b);
        }
        System.out.printf("%nmedians over %d rounds: metrics on %.0f tasks/s, off %.0f tasks/s; median of the rounds' "
            + "on/off = %.3f (range %.3f .. %.3f)%n", rounds, median(onRates), median(offRates), median(ratios),
            ratios.stream().mapToDouble(Double::doubleValue).min().orElse(0),
            ratios.stream().mapToDouble(Double::doubleValue).max().orElse(0));
        double perTask = MeterCost.nanosPerTask(withMetrics.system());
        System.out.printf("what the meters do per task (a lease, a result, a duration sample), alone in a loop: %.0f ns; "
            + "at the median rate with metrics off, one task takes %.0f ns of the cluster's time on %d cores: %.2f %%%n",
            perTask, 1e9 / median(offRates), Runtime.getRuntime().availableProcessors(),
            100 * perTask / (1e9 * Runtime.getRuntime().availableProcessors() / median(offRates)));
      }
    }
  }

  private static ComputeNode submitter(LocalCluster cluster, boolean metrics) {
    return ComputeNode.start(NodeConfigLoader.load(Optional.empty(), Map.of(
        "tessera.node.port", 0,
        "tessera.node.management.enabled", false,
        "tessera.metrics.enabled", metrics,
        "tessera.node.roles", List.of("worker", "coordinator"),
        "tessera.node.seeds", cluster.spec().seedList())));
  }

  private static double rate(ComputeNode node, int tasks) throws Exception {
    List<Integer> inputs = IntStream.range(0, tasks).boxed().toList();
    long start = System.nanoTime();
    JobResult<Integer> result = WorkPulling.submit(node.system(), BenchTasks.NO_OP, inputs,
            JobOptions.defaults().withBatchSize(1))
        .result().toCompletableFuture().get(LIMIT.toSeconds(), TimeUnit.SECONDS);
    double seconds = (System.nanoTime() - start) / 1e9;
    if (!result.succeeded() || !result.results().equals(inputs)) {
      throw new IllegalStateException("no-op job did not return its inputs: " + result.progress());
    }
    return tasks / seconds;
  }

  private static double median(List<Double> values) {
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}
