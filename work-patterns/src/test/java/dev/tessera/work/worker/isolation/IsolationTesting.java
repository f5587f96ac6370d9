package dev.tessera.work.worker.isolation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.runtime.job.PayloadCodec;
import dev.tessera.runtime.job.TaskType;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;

/** What the isolation tests share: small child JVMs, encoding, and waiting on conditions. */
final class IsolationTesting {

  static final PayloadCodec CODEC = new PayloadCodec();
  static final Duration TIMEOUT = Duration.ofSeconds(30);

  /** Children as small and quick to start as a two-core machine shared by several builds wants. */
  static final IsolationSettings SETTINGS = IsolationSettings.defaults()
      .withHeap("64m")
      .withJvmOptions(List.of("-XX:TieredStopAtLevel=1", "-Xss512k"));

  private IsolationTesting() {}

  static <I> IsolatedTaskRunner.Result run(IsolatedTaskRunner runner, TaskType<I, ?> type, I input) {
    return runner.run(type.name(), CODEC.encode(input), TIMEOUT);
  }

  static <O> O output(IsolatedTaskRunner.Result result, TaskType<?, O> type) {
    assertThat(result).isInstanceOf(IsolatedTaskRunner.Result.Succeeded.class);
    return CODEC.decode(((IsolatedTaskRunner.Result.Succeeded) result).output(), type.outputType());
  }

  static void awaitCondition(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + timeout.toMillis() + " ms: " + what);
      }
      Thread.sleep(10);
    }
  }

  /** True once the process is gone (or never was). */
  static boolean gone(long pid) {
    return ProcessHandle.of(pid).map(handle -> !handle.isAlive()).orElse(true);
  }
}
