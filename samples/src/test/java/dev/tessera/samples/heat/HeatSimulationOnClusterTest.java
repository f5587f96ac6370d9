package dev.tessera.samples.heat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.gpu.kernels.CpuBackend;
import dev.tessera.gpu.kernels.Matrix;
import dev.tessera.runtime.launch.LocalCluster;
import dev.tessera.samples.launch.SampleCluster;
import dev.tessera.samples.launch.SampleProcess;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The heat simulation on a local cluster of two node processes: its grid against the same steps
 * computed here on the whole plate, a known steady state, a resumed run, the sample's own process
 * killed with {@code kill -9} and started again, and a node killed mid-run (last: it leaves the
 * cluster one node short).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HeatSimulationOnClusterTest {

  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(3);

  @TempDir
  static Path workDir;

  private static SampleCluster cluster;
  private static final ByteArrayOutputStream printed = new ByteArrayOutputStream();
  private static final PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);
  private final CpuBackend cpu = CpuBackend.create();

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = SampleCluster.local(2, workDir.resolve("cluster"), out);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static HeatRun.Plan plan(String run, HeatProblem problem, int depth, long steps, long checkpointEvery,
      long frameEvery) {
    return new HeatRun.Plan(run, problem, depth, steps, checkpointEvery, frameEvery, workDir.resolve(run + "-frames"),
        Duration.ZERO, Duration.ZERO);
  }

  @Test
  @Order(1)
  void theTilesOnTheClusterComputeTheWholePlatesGridBitForBitAndAResumedRunGoesOnFromItsCheckpoint() throws Exception {
    HeatProblem sixTiles = new HeatProblem(64, 40, 3, 2, HeatProblem.Boundary.HOT_TOP_EDGE);
    HeatSimulation.Result first = HeatSimulation.run(cluster.system(), plan("whole", sixTiles, 4, 300, 100, 100), out);

    assertThat(first.resumedFrom()).isZero();
    assertThat(first.outcome().last().step()).isEqualTo(300);
    assertThat(first.outcome().last().grid()).isEqualTo(cpu.jacobi(sixTiles.initialGrid(), 300));
    assertThat(first.outcome().framesWritten()).isEqualTo(3);
    assertThat(workDir.resolve("whole-frames/whole-000300.png")).isRegularFile();

    // The same run, further, on another tiling and halo: it starts at its checkpoint.
    HeatProblem fourTiles = new HeatProblem(64, 40, 2, 2, HeatProblem.Boundary.HOT_TOP_EDGE);
    HeatSimulation.Result second = HeatSimulation.run(cluster.system(), plan("whole", fourTiles, 7, 530, 100, 0), out);

    assertThat(second.resumedFrom()).isEqualTo(300);
    Matrix expected = cpu.jacobi(sixTiles.initialGrid(), 530);
    assertThat(second.outcome().last().grid()).isEqualTo(expected);
    assertThat(second.outcome().last().sha256()).isEqualTo(new HeatState(fourTiles, 530, expected).sha256());
    assertThat(printed.toString(StandardCharsets.UTF_8)).contains("resuming run 'whole' from its checkpoint at step 300");
  }

  @Test
  @Order(2)
  void aLinearBoundarySettlesIntoTheSameRampEverywhere() throws Exception {
    HeatProblem problem = new HeatProblem(20, 15, 2, 2, HeatProblem.Boundary.LINEAR_IN_X);
    Matrix steady = HeatSimulation.run(cluster.system(), plan("ramp", problem, 7, 2_500, 2_500, 0), out)
        .outcome().last().grid();
    for (int r = 0; r < steady.rows(); r++) {
      for (int c = 0; c < steady.cols(); c++) {
        assertThat(steady.get(r, c)).as("point (%d, %d)", r, c).isCloseTo(HeatProblem.HOT * c / 21, Offset.offset(1e-3f));
      }
    }
  }

  @Test
  @Order(3)
  void aPlateOfAnotherSizeIsNotResumedFromARunsCheckpoint() {
    HeatProblem other = new HeatProblem(30, 40, 3, 2, HeatProblem.Boundary.HOT_TOP_EDGE);
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> HeatSimulation.run(cluster.system(), plan("whole", other, 4, 900, 100, 0), out))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("run 'whole' has a checkpoint at step 530 of a 64x40 plate");
  }

  @Test
  @Order(4)
  void killedWithKillDashNineTheSampleResumesFromItsCheckpointAndEndsWithTheUninterruptedGrid() throws Exception {
    HeatProblem problem = new HeatProblem(64, 40, 3, 2, HeatProblem.Boundary.HOT_TOP_EDGE);
    long steps = 6_000;
    List<String> arguments = List.of("heat", "--run", "crash", "--size", "64x40", "--tiles", "3x2", "--halo", "4",
        "--steps", Long.toString(steps), "--checkpoint-every", "200", "--frame-every", "1000");
    Path log1 = workDir.resolve("crash-1.log");
    Process first = startSample(arguments, log1);
    try {
      Matcher saved = await(log1, Pattern.compile("checkpoint at step (\\d+) saved"), first);
      assertThat(first.isAlive()).as("still running when killed").isTrue();
      assertThat(Long.parseLong(saved.group(1))).isLessThan(steps);
    } finally {
      SampleProcess.kill(first); // SIGKILL
    }
    assertThat(Files.readString(log1)).doesNotContain("checkpoint at step " + steps + " saved");

    Path log2 = workDir.resolve("crash-2.log");
    Process second = startSample(arguments, log2);
    try {
      assertThat(second.waitFor(RUN_TIMEOUT.toSeconds(), TimeUnit.SECONDS)).as("the resumed run ended").isTrue();
      String output = Files.readString(log2);
      assertThat(second.exitValue()).as(output).isZero();
      Matcher resumed = Pattern.compile("resuming run 'crash' from its checkpoint at step (\\d+)").matcher(output);
      assertThat(resumed.find()).as(output).isTrue();
      assertThat(Long.parseLong(resumed.group(1))).isPositive();
      String expected = new HeatState(problem, steps, cpu.jacobi(problem.initialGrid(), (int) steps)).sha256();
      assertThat(output).contains("final grid SHA-256 " + expected);
    } finally {
      SampleProcess.kill(second);
    }
  }

  @Test
  @Order(5)
  void aNodeKilledMidRunCostsARollbackAndNoStepOfTheResult() throws Exception {
    HeatProblem problem = new HeatProblem(64, 40, 3, 2, HeatProblem.Boundary.HOT_TOP_EDGE);
    long steps = 8_000;
    HeatRun.Plan plan = plan("node-kill", problem, 4, steps, 200, 200);
    CompletableFuture<HeatSimulation.Result> result = CompletableFuture.supplyAsync(() -> {
      try {
        return HeatSimulation.run(cluster.system(), plan, out);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    LocalCluster nodes = cluster.localNodes().orElseThrow();
    try {
      long deadline = System.nanoTime() + RUN_TIMEOUT.toNanos();
      while (!Files.exists(plan.frameFile(400)) && !result.isDone() && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(result).as("still running when the node is killed").isNotDone();
      nodes.node(2).kill(); // SIGKILL: the tiles it held are gone
    } finally {
      if (!result.isDone()) {
        result.get(RUN_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      }
    }
    HeatSimulation.Result done = result.get();
    assertThat(done.outcome().rollbacks()).isPositive();
    assertThat(done.outcome().last().grid()).isEqualTo(cpu.jacobi(problem.initialGrid(), (int) steps));
  }

  /** The sample as its own process (as bin/sample runs it), joined to the test's cluster. */
  private static Process startSample(List<String> arguments, Path log) throws IOException {
    LocalCluster nodes = cluster.localNodes().orElseThrow();
    List<String> all = new ArrayList<>(arguments);
    all.addAll(List.of("--seeds", nodes.spec().seeds(), "--node-config",
        workDir.resolve("cluster/nodes.conf").toString(), "--work-dir", workDir.resolve("crash").toString()));
    return SampleProcess.start(all, log);
  }

  private static Matcher await(Path log, Pattern pattern, Process process) throws Exception {
    return SampleProcess.await(log, pattern, process, RUN_TIMEOUT);
  }
}
