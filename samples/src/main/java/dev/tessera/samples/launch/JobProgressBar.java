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
import me.tongfei.progressbar.ProgressBarConsumer;

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
    try (ProgressBar bar = bar(name, " tasks", -1, 0, out)) {
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
    try (ProgressBar bar = bar(name, unit, total, current.getAsLong(), out)) {
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

  /**
   * A bar on {@code out}: redrawn in place, fitted to the terminal's width, where {@code out} is
   * this process's terminal; otherwise (a log file, a pipe, a test) a whole line every {@link
   * #LOG_EVERY}, so that a run of days under {@code nohup} leaves a readable log.
   *
   * @param from the count the bar starts at (a resumed run's step): rate and ETA count from it
   */
  private static ProgressBar bar(String name, String unit, long total, long from, PrintStream out) {
    boolean terminal = out == System.out && System.console() != null;
    return new ProgressBarBuilder()
        .setTaskName(name)
        .setInitialMax(total)
        .startsFrom(Math.max(0, from), Duration.ZERO)
        .setRenderer(new ProgressLine(unit))
        .setUpdateIntervalMillis((int) REFRESH.toMillis())
        .setConsumer(terminal ? new ConsoleProgressBarConsumer(out) : new LogLines(out, LOG_EVERY))
        .build();
  }

  /** How often a bar that is not on a terminal prints a line. */
  static final Duration LOG_EVERY = Duration.ofSeconds(10);

  /**
   * Progress where nobody watches a cursor: the first line at once, then one every {@code every},
   * and the last one when the bar closes unless the line before it already showed the same count;
   * each a whole line, never cut, never a carriage return.
   */
  static final class LogLines implements ProgressBarConsumer {
    private final PrintStream out;
    private final long everyNanos;
    private long printedAt;
    private boolean printedAny;
    private String unprinted;
    private String lastPrinted = "";

    private final LongSupplier nanoTime;

    LogLines(PrintStream out, Duration every) {
      this(out, every, System::nanoTime);
    }

    /** With the clock given (tests). */
    LogLines(PrintStream out, Duration every, LongSupplier nanoTime) {
      this.out = out;
      this.everyNanos = every.toNanos();
      this.nanoTime = nanoTime;
    }

    @Override
    public int getMaxRenderedLength() {
      return 0; // no limit, and no bar (ProgressLine)
    }

    @Override
    public synchronized void accept(String line) {
      long now = nanoTime.getAsLong();
      if (!printedAny || now - printedAt >= everyNanos) {
        out.println(line);
        out.flush();
        printedAny = true;
        printedAt = now;
        lastPrinted = line;
        unprinted = null;
      } else {
        unprinted = line;
      }
    }

    @Override
    public synchronized void close() {
      if (unprinted != null && !count(unprinted).equals(count(lastPrinted))) {
        out.println(unprinted);
        unprinted = null;
      }
      out.flush();
    }

    /** The name, percentage and count: what a line says before its first comma (ProgressLine). */
    private static String count(String line) {
      int comma = line.indexOf(',');
      return comma < 0 ? line : line.substring(0, comma);
    }
  }
}
