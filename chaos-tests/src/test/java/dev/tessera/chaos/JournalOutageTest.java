package dev.tessera.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.persistence.jobs.DurableJobCoordinator;
import dev.tessera.persistence.jobs.DurableJobHandle;
import dev.tessera.persistence.jobs.DurableJobs;
import dev.tessera.persistence.jobs.JobStatus;
import dev.tessera.persistence.journal.JournalServer;
import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.job.PayloadCodec;
import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.runtime.node.NodeConfigLoader;
import dev.tessera.work.JobResult;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.pekko.Done;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal's storage failing is an outage, not damage. A node in this JVM (a cluster of one,
 * running workers and durable jobs) writes to an H2 server in this JVM. (1) The server's data
 * directory is on a 20 MB tmpfs that a filler file fills while a job runs: the job pauses and says
 * the disk is full, a new submission fails with that error (not a timeout), and once the filler is
 * deleted the job resumes by itself and finishes with every result once. (2) A submission cut off
 * after its first chunk runs nothing, is abandoned after the submission timeout, and submitting it
 * again under the same id runs it in full.
 */
class JournalOutageTest {

  private static final JobOptions OPTIONS = JobOptions.defaults().withBatchSize(4);

  // Kept when a test fails: the H2 trace file is in it.
  @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS) Path dir;

  /** A cluster of one: workers (2 task threads) and durable jobs, on the given journal server. */
  private static ComputeNode node(JournalServer server) throws Exception {
    Map<String, Object> settings = new HashMap<>();
    settings.put("tessera.node.port", 0);
    settings.put("tessera.node.management.enabled", false);
    settings.put("tessera.node.roles", List.of("worker"));
    settings.put("tessera.node.seeds", List.of());
    settings.put("tessera.gpu.mode", "off");
    settings.put("tessera.work-pulling.worker.capacity", 2);
    settings.put("tessera.persistence.jobs.enabled", true);
    settings.putAll(server.jdbcSettings());
    settings.put("tessera.persistence.jobs.ask-timeout", "5s");
    settings.put("tessera.persistence.jobs.submission-timeout", "3s");
    settings.put("tessera.persistence.jobs.journal-backoff.max", "1s");
    ComputeNode node = ComputeNode.start(NodeConfigLoader.load(Optional.empty(), settings));
    node.whenUp().toCompletableFuture().get(60, TimeUnit.SECONDS);
    return node;
  }

  private static List<Long> squares(int tasks) {
    return IntStream.range(0, tasks).mapToObj(i -> (long) i * i).toList();
  }

  /** The job's status, or null while its coordinator does not answer (restarting after a failure). */
  private static JobStatus statusOrNull(DurableJobHandle<?> job) {
    try {
      return job.status().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception notNow) {
      return null;
    }
  }

  @Test
  void aFullDiskPausesTheJobNamingTheDiskAndFreeingSpaceResumesItWithEveryResultOnce() throws Exception {
    Path disk = Files.createDirectories(dir.resolve("disk"));
    mountTmpfs(disk);
    try (JournalServer server = JournalServer.start(disk.resolve("data")); ComputeNode node = node(server)) {
      int tasks = 40;
      Path gate = Files.createFile(dir.resolve("gate"));
      List<ChaosTasks.Gated> inputs = IntStream.range(0, tasks)
          .mapToObj(i -> new ChaosTasks.Gated(i, gate.toString(), "")).toList();
      DurableJobHandle<Long> job = DurableJobs.submit(node.system(), ChaosTasks.GATED_SQUARE, inputs, OPTIONS);
      job.submitted().toCompletableFuture().get(60, TimeUnit.SECONDS);

      Path filler = disk.resolve("filler");
      long filled = fill(filler);
      Files.delete(gate); // results now arrive, and their writes fail
      Duration paused = Await.until("the job says it is paused by the full disk", Duration.ofSeconds(40), () -> {
        JobStatus status = statusOrNull(job);
        return status != null && status.problem() != null && status.problem().contains("No space left on device");
      });
      JobStatus status = statusOrNull(job);
      System.out.printf("filled %d bytes; paused after %d ms: %s%n", filled, paused.toMillis(), status.problem());
      assertThat(status.state()).isEqualTo(JobStatus.RUNNING);
      assertThat(status.problem()).startsWith("journal write failed: No space left on device (H2 at jdbc:h2:tcp://127.0.0.1:");
      assertThat(status.progress().done()).isLessThan(tasks);

      // A submission meanwhile gets the journal's error, at once, not a timeout.
      long before = System.nanoTime();
      DurableJobHandle<Long> refused = DurableJobs.submit(node.system(), ChaosTasks.GATED_SQUARE, inputs.subList(0, 2), OPTIONS);
      assertThatThrownBy(() -> refused.submitted().toCompletableFuture().get(60, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasMessageContaining("job " + refused.id() + " was not submitted")
          .hasMessageContaining("journal write failed: No space left on device")
          .hasMessageContaining("Submitting it again under the same id is safe")
          .hasMessageNotContaining("no answer");
      System.out.printf("a submission during the outage failed after %d ms%n", (System.nanoTime() - before) / 1_000_000);

      Files.delete(filler); // no restart of anything: the job resumes by itself
      long freed = System.nanoTime();
      JobResult<Long> result = job.result().toCompletableFuture().get(60, TimeUnit.SECONDS);
      System.out.printf("finished %d ms after the space was freed%n", (System.nanoTime() - freed) / 1_000_000);
      assertThat(result.succeeded()).as("failures: %s", result.failures()).isTrue();
      assertThat(result.results()).isEqualTo(squares(tasks));
      assertThat(result.progress().done()).isEqualTo(tasks);
      assertThat(statusOrNull(job).problem()).isNull();
      // And new work goes through again.
      DurableJobHandle<Long> after = DurableJobs.submit(node.system(), ChaosTasks.GATED_SQUARE, inputs.subList(0, 3), OPTIONS);
      assertThat(after.result().toCompletableFuture().get(60, TimeUnit.SECONDS).results()).isEqualTo(squares(3));
    } finally {
      unmount(disk);
    }
  }

  @Test
  void aSubmissionCutOffAfterItsFirstChunkRunsNothingIsAbandonedAndCanBeSubmittedAgain() throws Exception {
    try (JournalServer server = JournalServer.start(dir.resolve("data")); ComputeNode node = node(server)) {
      Path executions = Files.createDirectories(dir.resolve("executions"));
      int tasks = 30;
      List<ChaosTasks.Counted> inputs = IntStream.range(0, tasks)
          .mapToObj(i -> new ChaosTasks.Counted(i, executions.toString())).toList();
      List<byte[]> encoded = new PayloadCodec().encodeInputs(ChaosTasks.COUNTED_SQUARE, inputs);
      String jobId = "cut-off-" + UUID.randomUUID();
      var coordinator = DurableJobs.get(node.system()).coordinator(jobId);
      Duration timeout = Duration.ofSeconds(10);
      // What DurableJobs.submit does, until its client dies after the first of two chunks.
      coordinator.<Done>askWithStatus(reply -> new DurableJobCoordinator.Submit(ChaosTasks.COUNTED_SQUARE.name(), OPTIONS,
          "test", reply), timeout).toCompletableFuture().get(20, TimeUnit.SECONDS);
      coordinator.<Done>askWithStatus(reply -> new DurableJobCoordinator.AddInputs(0, encoded.subList(0, 10), false,
          reply), timeout).toCompletableFuture().get(20, TimeUnit.SECONDS);

      DurableJobHandle<Long> job = DurableJobs.attach(node.system(), jobId, ChaosTasks.COUNTED_SQUARE);
      JobStatus submitting = job.status().toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertThat(submitting.state()).isEqualTo(JobStatus.SUBMITTING);
      assertThat(submitting.progress().total()).isEqualTo(10);
      Await.until("the cut-off submission is abandoned", Duration.ofSeconds(20),
          () -> JobStatus.ABANDONED.equals(statusOrNull(job) == null ? null : statusOrNull(job).state()));
      JobStatus abandoned = job.status().toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertThat(abandoned.problem()).contains("its submission stopped after 10 inputs", "nothing of it ran");
      assertThat(abandoned.progress().done()).isZero();
      try (var files = Files.list(executions)) {
        assertThat(files.toList()).as("no task of the cut-off submission ran").isEmpty();
      }

      DurableJobHandle<Long> again = DurableJobs.submit(node.system(), jobId, ChaosTasks.COUNTED_SQUARE, inputs, OPTIONS);
      JobResult<Long> result = again.result().toCompletableFuture().get(60, TimeUnit.SECONDS);
      assertThat(result.results()).isEqualTo(squares(tasks));
      Map<Integer, Integer> ran = new HashMap<>();
      try (var files = Files.list(executions)) {
        for (Path file : files.toList()) {
          Files.readAllLines(file).forEach(line -> ran.merge(Integer.parseInt(line.trim()), 1, Integer::sum));
        }
      }
      assertThat(ran.keySet()).hasSize(tasks);
    }
  }

  /** Writes zeros to {@code file} until the disk is full; returns how many bytes were written. */
  private static long fill(Path file) throws IOException {
    byte[] block = new byte[64 * 1024];
    long written = 0;
    try (OutputStream out = Files.newOutputStream(file)) {
      while (true) {
        out.write(block);
        written += block.length;
      }
    } catch (IOException full) {
      if (!String.valueOf(full.getMessage()).contains("No space left on device")) {
        throw full;
      }
    }
    // Smaller writes fill the last partial block.
    try (OutputStream out = Files.newOutputStream(file, java.nio.file.StandardOpenOption.APPEND)) {
      while (true) {
        out.write(new byte[512]);
        out.flush();
        written += 512;
      }
    } catch (IOException full) {
      return written;
    }
  }

  private static void mountTmpfs(Path dir) throws Exception {
    Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", dir.toString())
        .redirectErrorStream(true).start();
    boolean exited = mount.waitFor(30, TimeUnit.SECONDS);
    String output = new String(mount.getInputStream().readAllBytes());
    Assumptions.assumeTrue(exited && mount.exitValue() == 0,
        () -> "a 20 MB tmpfs cannot be mounted here (the test needs root): " + output.strip());
  }

  private static void unmount(Path dir) throws Exception {
    Process umount = new ProcessBuilder("umount", dir.toString()).redirectErrorStream(true).start();
    if (!umount.waitFor(30, TimeUnit.SECONDS)) {
      umount.destroyForcibly();
    }
  }
}
