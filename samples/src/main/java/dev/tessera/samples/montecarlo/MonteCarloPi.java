package dev.tessera.samples.montecarlo;

import dev.tessera.runtime.job.JobOptions;
import dev.tessera.samples.launch.ClusterOptions;
import dev.tessera.samples.launch.JobProgressBar;
import dev.tessera.samples.launch.SampleCluster;
import dev.tessera.work.GatherHandle;
import dev.tessera.work.Gathered;
import dev.tessera.work.WorkPulling;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.pekko.actor.typed.ActorSystem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Monte Carlo π, the hello-world of a compute cluster: darts thrown at the unit square in batches,
 * one task per batch, spread over the cluster by work pulling (a fast node takes more batches than
 * a slow one), the hit counts summed as they arrive (scatter/gather). Prints the estimate, its
 * error and the throughput.
 *
 * <pre>bin/sample pi --darts 2000000000            # 3 local nodes
 * bin/sample pi --seeds 192.168.1.10:25520 --host 192.168.1.20   # your cluster</pre>
 */
@Command(name = "pi", mixinStandardHelpOptions = true,
    description = "Estimate pi by Monte Carlo over the cluster: batches of darts, hit counts summed as they arrive.")
public final class MonteCarloPi implements Callable<Integer> {

  @Mixin
  ClusterOptions cluster;

  @Option(names = "--darts", paramLabel = "N", defaultValue = "1000000000",
      description = "darts to throw in all (default: ${DEFAULT-VALUE})")
  long darts;

  @Option(names = "--batch", paramLabel = "N", defaultValue = "5000000",
      description = "darts per task (default: ${DEFAULT-VALUE}, about 50 ms of one core)")
  long batch;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "seed of the first batch (default: ${DEFAULT-VALUE})")
  long seed;

  @Override
  public Integer call() throws Exception {
    if (darts < 1 || batch < 1) {
      throw new IllegalArgumentException("--darts and --batch must be positive");
    }
    PrintStream out = System.out;
    try (SampleCluster running = cluster.open("pi", out)) {
      PiEstimate estimate = run(running.system(), darts, batch, seed, out);
      out.println(estimate.summary());
    }
    return 0;
  }

  /** The batches of a run: {@code darts} split into tasks of at most {@code batch}, each seeded from {@code seed}. */
  public static List<MonteCarloTasks.Batch> batches(long darts, long batch, long seed) {
    List<MonteCarloTasks.Batch> batches = new ArrayList<>();
    // Each batch's seed is a hashed 64-bit number (SplitMix64's output), the same for every run.
    // Not seed + i: SplittableRandom(s + i * 0x9E3779B97F4A7C15L) is SplittableRandom(s) moved on
    // by i steps, so consecutive batches drew nearly the same darts (a first run landed 4.1
    // standard errors off).
    java.util.SplittableRandom seeds = new java.util.SplittableRandom(seed);
    long left = darts;
    while (left > 0) {
      long size = Math.min(batch, left);
      batches.add(new MonteCarloTasks.Batch(seeds.nextLong(), size));
      left -= size;
    }
    if (batches.size() > 1_000_000) {
      throw new IllegalArgumentException("--batch " + batch + " makes " + batches.size() + " tasks; use bigger batches");
    }
    return batches;
  }

  /** Runs the estimate on the cluster of {@code system}, showing progress on {@code out}. */
  public static PiEstimate run(ActorSystem<?> system, long darts, long batch, long seed, PrintStream out) throws Exception {
    List<MonteCarloTasks.Batch> batches = batches(darts, batch, seed);
    long started = System.nanoTime();
    GatherHandle<Long> job = WorkPulling.scatterGather(system, MonteCarloTasks.COUNT_HITS, batches, JobOptions.defaults(),
        0L, Long::sum);
    Gathered<Long> hits = JobProgressBar.follow("pi", job::progress, job.result(), out, Duration.ofHours(24));
    if (!hits.succeeded()) {
      throw new IllegalStateException("pi: " + hits.failures().size() + " batches failed, e.g. " + hits.failures().values()
          .iterator().next().lastCause());
    }
    return new PiEstimate(darts, hits.value(), (System.nanoTime() - started) / 1e9);
  }
}
