package dev.tessera.work.worker.isolation;

import static dev.tessera.work.worker.isolation.IsolationTesting.CODEC;
import static dev.tessera.work.worker.isolation.IsolationTesting.SETTINGS;
import static dev.tessera.work.worker.isolation.IsolationTesting.TIMEOUT;
import static dev.tessera.work.worker.isolation.IsolationTesting.awaitCondition;
import static dev.tessera.work.worker.isolation.IsolationTesting.gone;
import static dev.tessera.work.worker.isolation.IsolationTesting.output;
import static dev.tessera.work.worker.isolation.IsolationTesting.run;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Handlers that kill their JVM: each kills a child of its own runner, and this test's JVM (the
 * node) goes on, with the next task in a new child.
 */
class IsolatedTaskRunnerCrashTest {

  private IsolatedTaskRunner runner;

  @BeforeEach
  void startRunner() {
    runner = IsolatedTaskRunner.create(SETTINGS.withCancelGrace(Duration.ofMillis(300)));
  }

  @AfterEach
  void closeRunner() throws InterruptedException {
    runner.close();
    awaitCondition("no child process left", Duration.ofSeconds(10),
        () -> ProcessHandle.current().children().noneMatch(child -> child.info().command().orElse("").endsWith("java")
            && child.info().arguments().map(args -> String.join(" ", args).contains(ChildMain.class.getName())).orElse(false)));
  }

  @Test
  void systemExitKillsOnlyTheChildAndTheNextTaskRunsInANewOne() {
    assertThat(output(run(runner, CrashingTasks.SQUARE, 2), CrashingTasks.SQUARE)).isEqualTo(4L);
    long first = runner.childPid().getAsLong();

    IsolatedTaskRunner.Result result = run(runner, CrashingTasks.EXIT, 7);

    assertThat(result).isInstanceOfSatisfying(IsolatedTaskRunner.Result.ChildDied.class, died -> {
      assertThat(died.exitCode()).isEqualTo(7);
      assertThat(died.cause()).startsWith("the isolated child JVM (pid " + first + ") died with exit code 7");
    });
    assertThat(gone(first)).isTrue();
    assertThat(output(run(runner, CrashingTasks.SQUARE, 3), CrashingTasks.SQUARE)).isEqualTo(9L);
    assertThat(runner.childPid().getAsLong()).isNotEqualTo(first);
    assertThat(runner.childStarts()).isEqualTo(2);
    assertThat(ProcessHandle.current().isAlive()).isTrue();
  }

  @Test
  void runtimeHaltIsChildDiedWithItsCode() {
    IsolatedTaskRunner.Result result = run(runner, CrashingTasks.HALT, 9);

    assertThat(result).isInstanceOfSatisfying(IsolatedTaskRunner.Result.ChildDied.class,
        died -> assertThat(died.exitCode()).isEqualTo(9));
  }

  @Test
  void runningOutOfHeapIsChildDiedNamingOutOfMemoryError() {
    IsolatedTaskRunner.Result result = run(runner, CrashingTasks.EXHAUST_HEAP, 1 << 20);

    assertThat(result).isInstanceOfSatisfying(IsolatedTaskRunner.Result.ChildDied.class, died -> {
      assertThat(died.exitCode()).isEqualTo(3);
      assertThat(died.cause()).contains("Terminating due to java.lang.OutOfMemoryError: Java heap space");
    });
    assertThat(output(run(runner, CrashingTasks.SQUARE, 5), CrashingTasks.SQUARE)).isEqualTo(25L);
  }

  @Test
  void aNativeCrashIsChildDiedWithTheJvmsErrorReport() throws Exception {
    run(runner, CrashingTasks.SQUARE, 1);
    long crashed = runner.childPid().getAsLong();

    IsolatedTaskRunner.Result result = run(runner, CrashingTasks.CRASH, 0);

    try {
      assertThat(result).isInstanceOfSatisfying(IsolatedTaskRunner.Result.ChildDied.class, died -> {
        assertThat(died.exitCode()).isEqualTo(1); // without a core dump, a crashed JVM exits with 1
        assertThat(died.cause())
            .contains("a JVM crash, such as a native fault in JNI or CUDA code")
            .contains("SIGSEGV")
            .contains("Problematic frame");
      });
      assertThat(output(run(runner, CrashingTasks.SQUARE, 6), CrashingTasks.SQUARE)).isEqualTo(36L);
    } finally {
      Files.deleteIfExists(Path.of(System.getProperty("java.io.tmpdir"), "tessera-isolated-hs_err_pid" + crashed + ".log"));
    }
  }

  @Test
  void everyTaskInFlightWhenTheChildDiesIsChildDied() throws Exception {
    run(runner, CrashingTasks.SQUARE, 1); // the child is up: both tasks below go to it
    CompletableFuture<IsolatedTaskRunner.Result> sleeper =
        CompletableFuture.supplyAsync(() -> run(runner, CrashingTasks.SLEEP, 60_000));
    awaitCondition("the sleeping task in flight", TIMEOUT, () -> runner.tasksInFlight() == 1);

    IsolatedTaskRunner.Result exiting = run(runner, CrashingTasks.EXIT, 7);

    IsolatedTaskRunner.Result slept = sleeper.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    assertThat(slept).isEqualTo(exiting).isInstanceOfSatisfying(IsolatedTaskRunner.Result.ChildDied.class,
        died -> assertThat(died.exitCode()).isEqualTo(7));
  }

  @Test
  void aTimedOutTaskThatIgnoresTheInterruptGetsItsChildKilledAndReplaced() {
    run(runner, CrashingTasks.SQUARE, 1);
    long stuck = runner.childPid().getAsLong();

    IsolatedTaskRunner.Result result =
        runner.run(CrashingTasks.SPIN.name(), CODEC.encode(600_000_000), Duration.ofMillis(200));

    assertThat(result).isEqualTo(new IsolatedTaskRunner.Result.Failed(
        "timed out after 200 ms; its handler ignored the interrupt, so the isolated child JVM was killed", true));
    assertThat(output(run(runner, CrashingTasks.SQUARE, 7), CrashingTasks.SQUARE)).isEqualTo(49L);
    assertThat(runner.childPid().getAsLong()).isNotEqualTo(stuck);
  }

  @Test
  void aNodeKilledWithSigkillLeavesNoChildBehind() throws Exception {
    Path output = Files.createTempFile("orphan-probe", ".log");
    Process node = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
        OrphanProbe.class.getName())
        .redirectErrorStream(true)
        .redirectOutput(output.toFile())
        .start();
    long child = -1;
    try {
      Pattern started = Pattern.compile("result=Succeeded child-pid=(\\d+)");
      awaitCondition("the probe's child answered", TIMEOUT, () -> !node.isAlive() || started.matcher(read(output)).find());
      Matcher matcher = started.matcher(read(output));
      assertThat(matcher.find()).as("probe output:%n%s", read(output)).isTrue();
      child = Long.parseLong(matcher.group(1));

      node.destroyForcibly();

      long orphan = child;
      awaitCondition("child " + orphan + " gone after its node was killed", Duration.ofSeconds(10), () -> gone(orphan));
    } finally {
      node.destroyForcibly();
      if (child > 0) {
        ProcessHandle.of(child).ifPresent(ProcessHandle::destroyForcibly);
      }
      Files.deleteIfExists(output);
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (java.io.IOException e) {
      return "";
    }
  }

  @Test
  void aChildThatCannotStartFailsItsTaskWithTheReason() {
    IsolatedTaskRunner broken = IsolatedTaskRunner.create(SETTINGS.withJvmOptions(java.util.List.of("-XX:+NoSuchOption")));
    try {
      IsolatedTaskRunner.Result result = run(broken, CrashingTasks.SQUARE, 2);

      assertThat(result).isInstanceOfSatisfying(IsolatedTaskRunner.Result.Failed.class, failed -> {
        assertThat(failed.retryable()).isTrue();
        assertThat(failed.cause()).startsWith("the isolated child JVM could not start: ").contains("NoSuchOption");
      });
    } finally {
      broken.close();
    }
  }
}
