package dev.tessera.samples.gpt;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.gpu.kernels.CpuBackend;
import dev.tessera.samples.launch.SampleProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/sample gpt train} as a process of its own, with its own two local nodes: killed with
 * {@code kill -9} mid-training (the sample and, with it, its whole cluster: the nodes follow their
 * parent), then started again, it resumes from its last checkpoint and ends with exactly the loss
 * curve of training that was never interrupted; then {@code gpt generate} answers from that run
 * through a pipeline of two stages, the same text as one node.
 */
class GptTrainCommandTest {

  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(4);
  private static final int STEPS = 300;

  @TempDir Path workDir;

  @Test
  void killedWithTheWholeClusterTheTrainingResumesToTheUninterruptedLossCurve() throws Exception {
    List<String> train = List.of("gpt", "train", "--nodes", "2", "--run", "crash", "--width", "32", "--layers", "2",
        "--batch", "24", "--shards", "3", "--steps", Integer.toString(STEPS), "--checkpoint-every", "10");
    Path log1 = workDir.resolve("train-1.log");
    Process first = startSample(train, log1);
    try {
      SampleProcess.await(log1, Pattern.compile("checkpoint at step ([2-9]\\d|\\d{3}) saved"), first, RUN_TIMEOUT);
      assertThat(first.isAlive()).as("still training when killed").isTrue();
    } finally {
      SampleProcess.kill(first); // SIGKILL: the sample, its trainer and its journal server
      awaitNodesGone();
    }
    assertThat(Files.readString(log1)).doesNotContain("checkpoint at step " + STEPS + " saved");

    Path log2 = workDir.resolve("train-2.log");
    Process second = startSample(train, log2);
    try {
      assertThat(second.waitFor(RUN_TIMEOUT.toSeconds(), TimeUnit.SECONDS)).as("the resumed run ended").isTrue();
      String output = Files.readString(log2);
      assertThat(second.exitValue()).as(output).isZero();
      Matcher resumed = Pattern.compile("resuming run 'crash' from its checkpoint at step (\\d+)").matcher(output);
      assertThat(resumed.find()).as(output).isTrue();
      assertThat(Long.parseLong(resumed.group(1))).isBetween(20L, (long) STEPS - 1);
      assertThat(output).contains("loss curve in").contains("answered right");
    } finally {
      SampleProcess.kill(second);
    }
    assertThat(workDir.resolve("loss-crash.png")).isRegularFile();
    double[] curve = Files.readAllLines(workDir.resolve("loss-crash.csv")).stream().skip(1)
        .mapToDouble(line -> Double.parseDouble(line.split(",")[1])).toArray();
    TrainingSetup setup = new TrainingSetup(TrainingSetup.model(32, 2), 1, 24, 3, 3e-3f, 0f);
    try (CpuBackend cpu = CpuBackend.create()) {
      assertThat(curve).containsExactly(SingleThreadTraining.train(setup, STEPS, cpu).losses());
    }

    Path log3 = workDir.resolve("generate.log");
    Process generate = startSample(List.of("gpt", "generate", "--nodes", "2", "--run", "crash", "--prompt", "12+34=",
        "--prompt", "40+2=", "--temperature", "0.5", "--check"), log3);
    try {
      assertThat(generate.waitFor(RUN_TIMEOUT.toSeconds(), TimeUnit.SECONDS)).as("generation ended").isTrue();
      String output = Files.readString(log3);
      assertThat(generate.exitValue()).as(output).isZero();
      assertThat(output).contains("2 layers in 2 stages").contains("the same text on this node alone: yes");
      assertThat(output).containsPattern("(?m)^12\\+34=\\d+$");
    } finally {
      SampleProcess.kill(generate);
    }
  }

  private Process startSample(List<String> arguments, Path log) throws IOException {
    List<String> all = new ArrayList<>(arguments);
    all.addAll(List.of("--work-dir", workDir.toString()));
    return SampleProcess.start(all, log);
  }

  /** The killed sample's nodes exit by themselves (they watch their parent); kills any that does not. */
  private void awaitNodesGone() throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline && !nodesOfThisTest().isEmpty()) {
      Thread.sleep(50);
    }
    List<ProcessHandle> left = nodesOfThisTest();
    left.forEach(ProcessHandle::destroyForcibly);
    assertThat(left).as("nodes still running 30 s after their sample was killed").isEmpty();
  }

  private List<ProcessHandle> nodesOfThisTest() {
    return ProcessHandle.allProcesses()
        .filter(p -> p.info().commandLine().map(line -> line.contains(workDir.toString())).orElse(false))
        .toList();
  }
}
