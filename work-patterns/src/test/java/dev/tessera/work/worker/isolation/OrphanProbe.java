package dev.tessera.work.worker.isolation;

import java.time.Duration;

/**
 * A stand-in node for {@link IsolatedTaskRunnerCrashTest}: starts a child through a runner, prints
 * its pid as {@code child-pid=N}, then waits to be killed, never closing the runner.
 */
public final class OrphanProbe {

  public static void main(String[] args) throws InterruptedException {
    IsolatedTaskRunner runner = IsolatedTaskRunner.create(IsolationTesting.SETTINGS);
    IsolatedTaskRunner.Result result =
        runner.run(CrashingTasks.SQUARE.name(), IsolationTesting.CODEC.encode(2), Duration.ofSeconds(60));
    System.out.println("result=" + result.getClass().getSimpleName() + " child-pid=" + runner.childPid().getAsLong());
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
