package dev.tessera.samples.launch;

import dev.tessera.runtime.job.JobProgress;
import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A terminal progress bar that follows a job (tasks ended of total, rate, elapsed time and ETA,
 * tasks running and failed), then prints one summary line.
 *
 * <pre>{@code
 * GatherHandle<Long> job = WorkPulling.scatterGather(...);
 * Gathered<Long> hits = JobProgressBar.follow("pi", job::progress, job.result(), System.out, Duration.ofHours(1));
 * }</pre>
 *
 * <p>Thread safety: {@link #follow} blocks the calling thread until the job ends.
 */
public final class JobProgressBar {

  /** How often the bar asks the job where it stands. */
  static final Duration REFRESH = Duration.ofMillis(250);

  private JobProgressBar() {}

  /**
   * Shows {@code progress} until {@code result} completes, then a summary line.
   *
   * @param timeout the job's result must come within this long
   * @return the job's result
   * @throws ExecutionException if the job failed
   * @throws TimeoutException if it did not end within {@code timeout}
   */
  public static <T> T follow(String name, Supplier<CompletionStage<JobProgress>> progress, CompletionStage<T> result,
      PrintStream out, Duration timeout) throws ExecutionException, TimeoutException, InterruptedException {
    CompletableFuture<T> done = result.toCompletableFuture();
    long started = System.nanoTime();
    long deadline = started + timeout.toNanos();
    JobProgress last = null;
    try (ProgressBar bar = bar(name, " tasks", -1, out)) {
      while (!done.isDone()) {
        if (System.nanoTime() > deadline) {
          throw new TimeoutException(name + " did not end within " + timeout);
        }
        try {
          JobProgress now = progress.get().toCompletableFuture().get(2, TimeUnit.SECONDS);
          bar.maxHint(now.total());
          bar.stepTo((long) now.done() + now.failed());
          bar.setExtraMessage(" " + now.running() + " running" + (now.failed() > 0 ? ", " + now.failed() + " failed" : ""));
          last = now;
        } catch (ExecutionException | TimeoutException e) {
          bar.setExtraMessage(" (no answer from the job: " + e.getClass().getSimpleName() + ")");
        }
        try {
          done.get(REFRESH.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException stillRunning) {
          // refresh the bar
        }
      }
      if (last != null) {
        bar.stepTo((long) last.total());
      }
      bar.setExtraMessage(" done");
    }
    T value = done.get();
    double seconds = (System.nanoTime() - started) / 1e9;
    if (last != null) {
      out.printf("%s: %d tasks in %.1f s (%.0f tasks/s)%s%n", name, last.total(), seconds, last.total() / seconds,
          last.retried() > 0 ? ", " + last.retried() + " retried" : "");
    }
    return value;
  }

  /**
   * Shows a count going to {@code total} (steps of a simulation, say) until {@code result}
   * completes; prints no summary (the caller knows what to say).
   *
   * @param current the count now (read every {@link #REFRESH})
   * @param extra a few words after the bar (e.g. the last checkpoint), read with {@code current}
   * @return the result
   * @throws ExecutionException if the work failed
   * @throws TimeoutException if it did not end within {@code timeout}
   */
  public static <T> T followCount(String name, String unit, long total, LongSupplier current, Supplier<String> extra,
      CompletionStage<T> result, PrintStream out, Duration timeout)
      throws ExecutionException, TimeoutException, InterruptedException {
    CompletableFuture<T> done = result.toCompletableFuture();
    long deadline = System.nanoTime() + timeout.toNanos();
    try (ProgressBar bar = bar(name, unit, total, out)) {
      while (!done.isDone()) {
        if (System.nanoTime() > deadline) {
          throw new TimeoutException(name + " did not end within " + timeout);
        }
        bar.stepTo(current.getAsLong());
        bar.setExtraMessage(" " + extra.get());
        try {
          done.get(REFRESH.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException stillRunning) {
          // refresh the bar
        }
      }
      bar.stepTo(current.getAsLong());
      bar.setExtraMessage(" " + extra.get());
    }
    return done.get();
  }

  private static ProgressBar bar(String name, String unit, long total, PrintStream out) {
    return new ProgressBarBuilder()
        .setTaskName(name)
        .setInitialMax(total)
        .setUnit(unit, 1)
        .showSpeed()
        .setStyle(ProgressBarStyle.ASCII)
        .setUpdateIntervalMillis((int) REFRESH.toMillis())
        .setConsumer(new ConsoleProgressBarConsumer(out))
        .build();
  }
}
