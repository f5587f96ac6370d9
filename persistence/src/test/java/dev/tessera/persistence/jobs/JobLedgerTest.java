package dev.tessera.persistence.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.runtime.job.JobOptions;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A job stuck with nothing to run is impossible by construction: whatever events a coordinator
 * writes, in any order and cut off anywhere (a submission cut off half-way, results of tasks in any
 * order, attempts and failures), a job is {@code submitting} until its last inputs are in, then
 * running with tasks left, then ended. Never "running 16400/16400".
 */
class JobLedgerTest {

  private static final JobOptions OPTIONS = JobOptions.defaults();

  @Test
  void noLedgerIsEverRunningWithNothingLeftToRunOrRunningBeforeItsLastInputs() {
    Random random = new Random(17);
    for (int run = 0; run < 2_000; run++) {
      JobLedger ledger = new JobLedger();
      for (JobEvent event : randomHistory(random)) {
        ledger.apply(event);
        assertConsistent(ledger, run);
      }
    }
  }

  @Test
  void aPageOfManyTinyResultsFitsOneMessage() throws Exception {
    JobLedger ledger = new JobLedger();
    ledger.apply(new JobEvent.JobAccepted("job", "square", OPTIONS, 1, "test"));
    int total = 20_000;
    List<byte[]> inputs = new ArrayList<>();
    List<JobEvent.Completed> completed = new ArrayList<>();
    for (int task = 0; task < total; task++) {
      inputs.add(new byte[] {1});
      completed.add(new JobEvent.Completed(task, new byte[] {0x1a, 0, 0x0f, 0x42, 0x40})); // a CBOR int
    }
    ledger.apply(new JobEvent.TasksAdded(0, inputs, true));
    ledger.apply(new JobEvent.TasksCompleted(completed));

    ResultsPage page = ledger.resultsPage(0, DurableJobCoordinator.MAX_PAGE_BYTES);

    byte[] cbor = new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.cbor.CBORFactory())
        .findAndRegisterModules().writeValueAsBytes(page);
    assertThat(page.outcomes().size()).isGreaterThan(100);
    // Artery's frame is 256 KiB: a page must leave room for the reply's envelope.
    assertThat(cbor.length).as("a page of %d results", page.outcomes().size()).isLessThan(200 * 1024);
  }

  private static void assertConsistent(JobLedger ledger, int run) {
    if (ledger.status != JobLedger.Status.RUNNING) {
      return;
    }
    if (ledger.sealed) {
      assertThat(ledger.unfinished).as("run %d: a running, sealed job has tasks left", run).isNotEmpty();
    } else {
      assertThat(ledger.isSubmitting()).as("run %d: unsealed means submitting", run).isTrue();
    }
    assertThat(ledger.done + ledger.failures.size() + ledger.unfinished.size()).isEqualTo(ledger.total);
  }

  /** What a coordinator may write: accepted, chunks (maybe cut off), then outcomes in any order. */
  private static List<JobEvent> randomHistory(Random random) {
    List<JobEvent> events = new ArrayList<>();
    events.add(new JobEvent.JobAccepted("job", "echo", OPTIONS, 1, "test"));
    int chunks = 1 + random.nextInt(3);
    boolean cutOff = random.nextInt(4) == 0;
    int total = 0;
    for (int c = 0; c < chunks; c++) {
      int size = random.nextInt(4); // empty chunks too
      List<byte[]> inputs = new ArrayList<>();
      for (int i = 0; i < size; i++) {
        inputs.add(("in-" + (total + i)).getBytes(StandardCharsets.UTF_8));
      }
      boolean last = c == chunks - 1 && !cutOff;
      events.add(new JobEvent.TasksAdded(total, inputs, last));
      total += size;
    }
    if (cutOff) {
      if (random.nextBoolean()) {
        events.add(new JobEvent.SubmissionAbandoned("cut off", 2));
      }
      return events; // a coordinator hands out no task of an unsealed job
    }
    List<Integer> order = new ArrayList<>();
    for (int t = 0; t < total; t++) {
      order.add(t);
    }
    java.util.Collections.shuffle(order, random);
    for (int task : order) {
      switch (random.nextInt(3)) {
        case 0 -> events.add(new JobEvent.TasksCompleted(List.of(new JobEvent.Completed(task, new byte[] {1}))));
        case 1 -> events.add(new JobEvent.TasksFailed(List.of(new JobEvent.Failed(task, 3, "bad"))));
        default -> {
          events.add(new JobEvent.AttemptsUsed(List.of(new JobEvent.Attempts(task, 1))));
          events.add(new JobEvent.TasksCompleted(List.of(new JobEvent.Completed(task, new byte[] {2}))));
        }
      }
    }
    return events;
  }

  @Test
  void theLastResultFinishesASealedJobAndAnUnsealedJobNeverFinishes() {
    JobLedger ledger = new JobLedger();
    ledger.apply(new JobEvent.JobAccepted("job", "echo", OPTIONS, 1, "test"));
    ledger.apply(new JobEvent.TasksAdded(0, List.of(new byte[] {0}, new byte[] {1}), false));
    ledger.apply(new JobEvent.TasksCompleted(List.of(new JobEvent.Completed(0, new byte[] {0}),
        new JobEvent.Completed(1, new byte[] {1}))));
    assertThat(ledger.status).isEqualTo(JobLedger.Status.RUNNING);
    assertThat(ledger.isSubmitting()).as("all recorded tasks done, but more inputs may come").isTrue();
    ledger.apply(new JobEvent.TasksAdded(2, List.of(), true));
    assertThat(ledger.status).isEqualTo(JobLedger.Status.FINISHED);
  }
}
