package dev.tessera.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A simulation process is killed with SIGKILL between two checkpoints; started again, it resumes
 * from its latest checkpoint and ends with exactly the state of a run that was never interrupted.
 */
class SimulationCrashTest {

  private static final long STEPS = 1_000;
  private static final Duration LIMIT = Duration.ofSeconds(90);

  @TempDir Path dir;

  @Test
  void aSimulationKilledWithSigkillResumesFromItsLatestCheckpointAndEndsBitForBitEqual() throws Exception {
    double[] rod = CheckpointedRodSimulation.initial(CheckpointedRodSimulation.CELLS);
    for (long step = 1; step <= STEPS; step++) {
      rod = CheckpointedRodSimulation.advance(rod);
    }
    String uninterrupted = CheckpointedRodSimulation.sha256(rod);

    Path data = dir.resolve("data");
    Process first = start(dir.resolve("first.log"), data, 650);
    try {
      Await.until("the first run holds at step 650", LIMIT, () -> log(dir.resolve("first.log")).contains("holding at step 650"));
      assertThat(log(dir.resolve("first.log"))).contains("checkpoint 600").doesNotContain("checkpoint 700");
    } finally {
      first.destroyForcibly(); // SIGKILL: no shutdown hook, no flush
      first.waitFor(30, TimeUnit.SECONDS);
    }

    Process second = start(dir.resolve("second.log"), data, -1);
    try {
      assertThat(second.waitFor(LIMIT.toSeconds(), TimeUnit.SECONDS)).as("the second run ends").isTrue();
      String output = log(dir.resolve("second.log"));
      assertThat(second.exitValue()).as(output).isZero();
      assertThat(output).contains("resumed from step 600").contains("final " + uninterrupted);
    } finally {
      second.destroyForcibly();
    }
  }

  private static Process start(Path log, Path data, long holdAt) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-XX:+UseSerialGC",
        "-cp", System.getProperty("java.class.path"),
        CheckpointedRodSimulation.class.getName(),
        data.toAbsolutePath().toString(), "heat-rod", String.valueOf(STEPS)));
    if (holdAt > 0) {
      command.add(String.valueOf(holdAt));
    }
    return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  private static String log(Path file) throws IOException {
    return Files.exists(file) ? Files.readString(file) : "";
  }
}
