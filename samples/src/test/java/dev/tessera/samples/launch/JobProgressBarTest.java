package dev.tessera.samples.launch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class JobProgressBarTest {

  @Test
  void notOnATerminalProgressIsWholeLinesEndingWithTheLastCount() throws Exception {
    CountDownLatch firstLine = new CountDownLatch(1);
    ByteArrayOutputStream printed = new ByteArrayOutputStream() {
      @Override
      public synchronized void write(byte[] b, int off, int len) {
        super.write(b, off, len);
        firstLine.countDown();
      }
    };
    AtomicLong step = new AtomicLong(400);
    CompletableFuture<String> done = new CompletableFuture<>();
    Thread stepper = new Thread(() -> {
      try {
        firstLine.await();
      } catch (InterruptedException e) {
        return;
      }
      for (int i = 0; i < 6; i++) {
        step.addAndGet(100);
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          return;
        }
      }
      done.complete("finished");
    });
    stepper.start();

    String result = JobProgressBar.followCount("heat", " steps", 1000, step::get, () -> "checkpoint " + step.get() / 500 * 500,
        done, new PrintStream(printed, true, StandardCharsets.UTF_8), Duration.ofMinutes(1));

    assertThat(result).isEqualTo("finished");
    String out = printed.toString(StandardCharsets.UTF_8);
    assertThat(out).doesNotContain("\r").endsWith("\n");
    String[] lines = out.split("\n");
    // The first line at once, the last when the bar closed; the 10-second interval hid the rest.
    assertThat(lines).hasSize(2);
    assertThat(lines[0]).startsWith("heat  40% 400/1000 steps");
    assertThat(lines[1]).startsWith("heat 100% 1000/1000 steps").endsWith("checkpoint 1000");
  }

  private final ByteArrayOutputStream logged = new ByteArrayOutputStream();
  private final AtomicLong clock = new AtomicLong();

  private JobProgressBar.LogLines logLines(Duration every) {
    return new JobProgressBar.LogLines(new PrintStream(logged, true, StandardCharsets.UTF_8), every, clock::get);
  }

  @Test
  void logLinesPrintTheFirstAtOnceThenOnePerIntervalAndTheLastOnClose() {
    JobProgressBar.LogLines lines = logLines(Duration.ofSeconds(10));

    lines.accept("heat 10/40 steps, 0:00:00 elapsed");
    clock.addAndGet(Duration.ofSeconds(9).toNanos());
    lines.accept("heat 20/40 steps, 0:00:09 elapsed");
    clock.addAndGet(Duration.ofSeconds(1).toNanos());
    lines.accept("heat 30/40 steps, 0:00:10 elapsed");
    lines.accept("heat 40/40 steps, 0:00:10 elapsed");
    lines.close();

    assertThat(logged.toString(StandardCharsets.UTF_8)).isEqualTo(
        "heat 10/40 steps, 0:00:00 elapsed\nheat 30/40 steps, 0:00:10 elapsed\nheat 40/40 steps, 0:00:10 elapsed\n");
  }

  @Test
  void theLastLineIsNotRepeatedWhenTheOneBeforeItShowedTheSameCount() {
    JobProgressBar.LogLines lines = logLines(Duration.ofSeconds(10));

    lines.accept("heat 10/40 steps, 0:00:00 elapsed");
    clock.addAndGet(Duration.ofSeconds(10).toNanos());
    lines.accept("heat 40/40 steps, 10.0/s, 0:00:10 elapsed");
    lines.accept("heat 40/40 steps, 9.9/s, 0:00:10 elapsed");
    lines.close();

    assertThat(logged.toString(StandardCharsets.UTF_8)).isEqualTo(
        "heat 10/40 steps, 0:00:00 elapsed\nheat 40/40 steps, 10.0/s, 0:00:10 elapsed\n");
  }
}
