package dev.tessera.benchmarks.workpulling;

import dev.tessera.work.engine.JobMeters;
import dev.tessera.work.protocol.TaskOutcome;
import dev.tessera.work.worker.WorkerMeters;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * What the node meters cost per task, alone in a loop on one thread: the coordinator's lease and
 * result counts ({@link JobMeters}) and the worker's duration sample ({@link WorkerMeters}), into the
 * real Prometheus registry of {@code system}. The end-to-end comparison ({@link
 * MetricsOverheadBench}) is noisier than this on a shared machine; this bounds it.
 */
final class MeterCost {

  private MeterCost() {}

  static double nanosPerTask(ActorSystem<?> system) {
    JobMeters job = JobMeters.open(system, "meter-cost", "bench.no-op");
    WorkerMeters worker = new WorkerMeters(system, 1, () -> 0);
    TaskOutcome outcome = new TaskOutcome.Succeeded(0, 1, new byte[0]);
    try {
      double[] trials = new double[7];
      for (int trial = 0; trial < trials.length; trial++) {
        int n = 2_000_000;
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
          job.dispatched(1);
          job.succeeded();
          worker.taskEnded("bench.no-op", outcome, 1_000 + (i & 1023));
        }
        trials[trial] = (System.nanoTime() - start) / (double) n;
      }
      java.util.Arrays.sort(trials);
      return trials[trials.length / 2]; // the median trial (the first ones include the JIT's work)
    } finally {
      job.close();
      worker.close();
    }
  }
}
