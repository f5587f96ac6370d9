package dev.tessera.work.worker.isolation;

import static dev.tessera.work.worker.isolation.IsolationTesting.CODEC;
import static dev.tessera.work.worker.isolation.IsolationTesting.SETTINGS;
import static dev.tessera.work.worker.isolation.IsolationTesting.TIMEOUT;
import static dev.tessera.work.worker.isolation.IsolationTesting.gone;
import static dev.tessera.work.worker.isolation.IsolationTesting.output;
import static dev.tessera.work.worker.isolation.IsolationTesting.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Handlers that behave, in one shared child JVM: results, failures and their causes, concurrency.
 * What kills the child is in {@link IsolatedTaskRunnerCrashTest}.
 */
class IsolatedTaskRunnerTest {

  private static IsolatedTaskRunner runner;

  @BeforeAll
  static void startRunner() {
    runner = IsolatedTaskRunner.create(SETTINGS.withMaxResultBytes(1024));
  }

  @AfterAll
  static void closeRunner() {
    runner.close();
  }

  @Test
  void aTaskRunsInAChildJvmAndReturnsItsEncodedResult() {
    IsolatedTaskRunner.Result result = run(runner, CrashingTasks.SQUARE, 12);

    assertThat(output(result, CrashingTasks.SQUARE)).isEqualTo(144L);
    assertThat(runner.childPid()).isPresent();
    assertThat(runner.childPid().getAsLong()).isNotEqualTo(ProcessHandle.current().pid());
  }

  @Test
  void concurrentTasksAreAllAnsweredEachWithItsOwnResult() throws Exception {
    ExecutorService callers = Executors.newFixedThreadPool(8);
    try {
      List<Future<Long>> squares = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        int x = i;
        squares.add(callers.submit(() -> output(run(runner, CrashingTasks.SQUARE, x), CrashingTasks.SQUARE)));
      }

      for (int i = 0; i < squares.size(); i++) {
        assertThat(squares.get(i).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo((long) i * i);
      }
      assertThat(runner.tasksInFlight()).isZero();
    } finally {
      callers.shutdownNow();
    }
  }

  @Test
  void aThrownExceptionIsARetryableFailureWithItsStackTrace() {
    IsolatedTaskRunner.Result result = run(runner, CrashingTasks.THROW, "boom");

    assertThat(result).isInstanceOfSatisfying(IsolatedTaskRunner.Result.Failed.class, failed -> {
      assertThat(failed.retryable()).isTrue();
      assertThat(failed.cause())
          .startsWith("java.lang.IllegalStateException: boom")
          .contains("at dev.tessera.work.worker.isolation.CrashingTasks");
    });
  }

  @Test
  void printingOnStandardOutputDoesNotDisturbTheProtocol() {
    assertThat(output(run(runner, CrashingTasks.PRINT, "hello from a handler"), CrashingTasks.PRINT))
        .isEqualTo("hello from a handler");
    assertThat(output(run(runner, CrashingTasks.SQUARE, 5), CrashingTasks.SQUARE)).isEqualTo(25L);
  }

  @Test
  void aResultOverTheLimitFailsForGood() {
    String large = "x".repeat(2000);

    IsolatedTaskRunner.Result result = run(runner, CrashingTasks.ECHO, large);

    assertThat(result).isEqualTo(new IsolatedTaskRunner.Result.Failed(
        "result of " + CODEC.encode(large).length + " bytes exceeds the limit of 1024 bytes for isolated tasks"
            + " (tessera.work-pulling.worker.isolation.max-result-bytes)", false));
  }

  @Test
  void anUnreadableInputFailsForGood() {
    IsolatedTaskRunner.Result result = runner.run(CrashingTasks.SQUARE.name(), CODEC.encode("not a number"), TIMEOUT);

    assertThat(result).isInstanceOfSatisfying(IsolatedTaskRunner.Result.Failed.class, failed -> {
      assertThat(failed.retryable()).isFalse();
      assertThat(failed.cause()).startsWith("unreadable input: cannot read a java.lang.Integer");
    });
  }

  @Test
  void aTypeRegisteredOnlyWithTheActorSystemFailsForGoodNamingItsLibrary() {
    IsolatedTaskRunner.Result result = run(runner, NodeBoundTasks.ADDRESS, 1);

    assertThat(result).isInstanceOfSatisfying(IsolatedTaskRunner.Result.Failed.class, failed -> {
      assertThat(failed.retryable()).isFalse();
      assertThat(failed.cause())
          .contains("'isolation-test.address' has no handler in the isolated child JVM")
          .contains(NodeBoundTasks.class.getName() + " registers its handlers only with the node's actor system");
    });
  }

  @Test
  void aTimedOutTaskWhoseHandlerStopsWhenInterruptedLeavesTheChildRunning() {
    long pid = runner.childPid().orElseGet(() -> {
      run(runner, CrashingTasks.SQUARE, 1);
      return runner.childPid().getAsLong();
    });
    int starts = runner.childStarts();

    IsolatedTaskRunner.Result result =
        runner.run(CrashingTasks.SLEEP.name(), CODEC.encode(60_000), java.time.Duration.ofMillis(200));

    assertThat(result).isEqualTo(new IsolatedTaskRunner.Result.Failed(
        "timed out after 200 ms; its handler stopped when interrupted", true));
    assertThat(output(run(runner, CrashingTasks.SQUARE, 4), CrashingTasks.SQUARE)).isEqualTo(16L);
    assertThat(runner.childPid()).hasValue(pid);
    assertThat(runner.childStarts()).isEqualTo(starts);
  }

  @Test
  void closeLeavesNoChildProcessAndRefusesLaterTasks() {
    IsolatedTaskRunner own = IsolatedTaskRunner.create(SETTINGS);
    long pid;
    try {
      assertThat(output(run(own, CrashingTasks.SQUARE, 3), CrashingTasks.SQUARE)).isEqualTo(9L);
      pid = own.childPid().getAsLong();
    } finally {
      own.close();
    }

    assertThat(gone(pid)).as("child pid %d gone", pid).isTrue();
    assertThat(ProcessHandle.current().children().filter(child -> child.pid() == pid)).isEmpty();
    assertThatThrownBy(() -> run(own, CrashingTasks.SQUARE, 3))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("the isolated task runner is closed");
  }
}
