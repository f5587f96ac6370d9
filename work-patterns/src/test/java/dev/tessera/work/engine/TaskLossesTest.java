package dev.tessera.work.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.runtime.job.JobOptions;
import dev.tessera.work.protocol.TaskOutcome;
import dev.tessera.work.protocol.WorkerMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The dispatcher's protocol for the three ways an attempt is lost (task failure, lost lease, worker
 * death), driven message by message with probes as workers.
 */
class TaskLossesTest {

  private static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void shutDown() {
    testKit.shutdownTestKit();
  }

  private static final Duration SILENCE = Duration.ofMillis(1500);
  private static final JobOptions OPTIONS = JobOptions.defaults().withWorkerSilenceTimeout(SILENCE).withBatchSize(10);

  /** A job's facts, as a coordinator keeps them: every loss is recorded, a task failed for good ends. */
  private static final class Job implements TaskDispatcher.JobTasks {
    final Map<Integer, byte[]> open = new TreeMap<>();
    final List<String> losses = new ArrayList<>();
    final Map<Integer, TaskLoss> failedForGood = new TreeMap<>();
    TaskDispatcher dispatcher;

    Job(int tasks) {
      for (int i = 0; i < tasks; i++) {
        open.put(i, new byte[] {(byte) i});
      }
    }

    @Override
    public byte[] openInput(int task) {
      return open.get(task);
    }

    @Override
    public void attemptLost(int task, TaskLoss loss) {
      losses.add(task + " " + loss.kind() + " failures=" + loss.failures() + " deaths=" + loss.workerDeaths());
      if (loss.forGood()) {
        open.remove(task);
        failedForGood.put(task, loss);
        dispatcher.ended(task);
      }
    }
  }

  private static Job job(int tasks, java.util.function.Predicate<org.apache.pekko.actor.typed.ActorRef<WorkerMessage>> mayLeaseTo) {
    Job job = new Job(tasks);
    job.dispatcher = new TaskDispatcher("job-1", OPTIONS, LoggerFactory.getLogger(TaskLossesTest.class), job, w -> {},
        mayLeaseTo);
    for (int i = 0; i < tasks; i++) {
      job.dispatcher.add(i);
    }
    return job;
  }

  private static Job job(int tasks) {
    return job(tasks, w -> true);
  }

  private static List<Integer> ids(WorkerMessage.WorkBatch batch) {
    return batch.tasks().stream().map(WorkerMessage.TaskAssignment::taskId).toList();
  }

  private static WorkerMessage.WorkBatch received(TestProbe<WorkerMessage> worker) {
    return worker.expectMessageClass(WorkerMessage.WorkBatch.class);
  }

  private static long afterSilence() {
    return System.nanoTime() + SILENCE.toNanos() + 1;
  }

  @Test
  void aTaskThatThrowsThreeTimesFailsAfterThreeAttemptsAndLostLeasesAreCountedApart() {
    Job job = job(1);
    TestProbe<WorkerMessage> leaving = testKit.createTestProbe();
    TestProbe<WorkerMessage> worker = testKit.createTestProbe();

    // A lease lost without starting first: charged nothing.
    job.dispatcher.heard(leaving.getRef(), 1);
    job.dispatcher.dispatch();
    assertThat(ids(received(leaving))).containsExactly(0);
    job.dispatcher.workerLeaving(leaving.getRef(), List.of(0), "its node is leaving");

    job.dispatcher.heard(worker.getRef(), 10);
    for (int attempt = 1; attempt <= 3; attempt++) {
      job.dispatcher.dispatch();
      WorkerMessage.TaskAssignment task = received(worker).tasks().get(0);
      job.dispatcher.accept(worker.getRef(), new TaskOutcome.Failed(0, task.attempt(), "boom " + attempt, true));
    }

    assertThat(job.losses).containsExactly(
        "0 LEASE_LOST failures=0 deaths=0",
        "0 TASK_FAILED failures=1 deaths=0",
        "0 TASK_FAILED failures=2 deaths=0",
        "0 TASK_FAILED failures=3 deaths=0");
    assertThat(job.failedForGood.get(0).cause()).isEqualTo("boom 3");
    assertThat(job.failedForGood.get(0).attempts()).isEqualTo(3);
    assertThat(job.dispatcher.retried()).isEqualTo(2);
    assertThat(job.dispatcher.lostLeases()).isEqualTo(1);
    assertThat(job.dispatcher.workerDeaths()).isZero();
  }

  @Test
  void aLeavingWorkersUnstartedTasksGoBackAtOnceChargedNothingAndItGetsNoMore() {
    Job job = job(6);
    TestProbe<WorkerMessage> leaving = testKit.createTestProbe();
    TestProbe<WorkerMessage> staying = testKit.createTestProbe();
    job.dispatcher.heard(leaving.getRef(), 4);
    job.dispatcher.dispatch();
    assertThat(ids(received(leaving))).containsExactly(0, 1, 2, 3);
    job.dispatcher.running(leaving.getRef(), List.of(0));

    job.dispatcher.workerLeaving(leaving.getRef(), List.of(1, 2, 3), "its node is shutting down");
    job.dispatcher.heard(leaving.getRef(), 100); // credits from a leaving worker buy nothing
    job.dispatcher.heard(staying.getRef(), 10);
    job.dispatcher.dispatch();

    assertThat(ids(received(staying))).containsExactly(1, 2, 3, 4, 5);
    leaving.expectNoMessage(Duration.ofMillis(100));
    assertThat(job.losses).containsExactly(
        "3 LEASE_LOST failures=0 deaths=0", "2 LEASE_LOST failures=0 deaths=0", "1 LEASE_LOST failures=0 deaths=0");

    // It finishes the task it ran, then its actor stops: a graceful leave, no death.
    job.dispatcher.accept(leaving.getRef(), new TaskOutcome.Succeeded(0, 1, new byte[0]));
    job.open.remove(0);
    job.dispatcher.ended(0);
    job.dispatcher.workerGone(leaving.getRef());
    assertThat(job.dispatcher.workerDeaths()).isZero();
    assertThat(job.losses).hasSize(3);
  }

  @Test
  void aWorkerThatLeftBeforeItsTasksFinishedCostsThemNothing() {
    Job job = job(2);
    TestProbe<WorkerMessage> leaving = testKit.createTestProbe();
    job.dispatcher.heard(leaving.getRef(), 2);
    job.dispatcher.dispatch();
    received(leaving);
    job.dispatcher.running(leaving.getRef(), List.of(0, 1));
    job.dispatcher.workerLeaving(leaving.getRef(), List.of(), "its node is shutting down");

    job.dispatcher.workerGone(leaving.getRef());

    assertThat(job.losses).containsExactlyInAnyOrder("0 LEASE_LOST failures=0 deaths=0", "1 LEASE_LOST failures=0 deaths=0");
  }

  @Test
  void aWorkerThatDiesMakesSuspectsThatEachRunAloneAndTheKindSaysWhetherTheyHadStarted() {
    Job job = job(4);
    TestProbe<WorkerMessage> dying = testKit.createTestProbe();
    TestProbe<WorkerMessage> a = testKit.createTestProbe();
    TestProbe<WorkerMessage> b = testKit.createTestProbe();
    job.dispatcher.heard(dying.getRef(), 2);
    job.dispatcher.dispatch();
    assertThat(ids(received(dying))).containsExactly(0, 1);
    job.dispatcher.running(dying.getRef(), List.of(0)); // its last report: task 0 runs, task 1 waits

    long later = afterSilence();
    job.dispatcher.heard(a.getRef(), 10);
    job.dispatcher.heard(b.getRef(), 10);
    job.dispatcher.check(later);
    job.dispatcher.dispatch();

    assertThat(job.losses).containsExactlyInAnyOrder(
        "0 WORKER_DIED failures=0 deaths=1", "1 LEASE_LOST failures=0 deaths=1");
    assertThat(job.dispatcher.workerDeaths()).isEqualTo(1);
    assertThat(job.dispatcher.lostLeases()).isEqualTo(1);
    // Each suspect alone, one per worker; nothing else goes out while they wait or run.
    assertThat(ids(received(a))).containsExactly(0);
    assertThat(ids(received(b))).containsExactly(1);
    a.expectNoMessage(Duration.ofMillis(50));

    job.dispatcher.accept(a.getRef(), new TaskOutcome.Succeeded(0, 2, new byte[0]));
    job.open.remove(0);
    job.dispatcher.ended(0);
    job.dispatcher.dispatch();
    assertThat(ids(received(a))).as("a worker no longer running a suspect takes other work again").containsExactly(2, 3);
    b.expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void aTaskOnTwoWorkersThatDiedFailsAsPoisonNamingThemAndIsNeverTriedAgain() {
    Job job = job(3);
    TestProbe<WorkerMessage> first = testKit.createTestProbe();
    TestProbe<WorkerMessage> second = testKit.createTestProbe();
    TestProbe<WorkerMessage> third = testKit.createTestProbe();
    job.dispatcher.heard(first.getRef(), 3);
    job.dispatcher.dispatch();
    assertThat(ids(received(first))).containsExactly(0, 1, 2);

    job.dispatcher.workerGone(first.getRef()); // died without a word: all three are suspects
    job.dispatcher.heard(second.getRef(), 1);
    job.dispatcher.heard(third.getRef(), 1);
    job.dispatcher.dispatch();
    int onSecond = ids(received(second)).get(0);
    int onThird = ids(received(third)).get(0);
    job.dispatcher.accept(third.getRef(), new TaskOutcome.Succeeded(onThird, 2, new byte[0]));
    job.open.remove(onThird);
    job.dispatcher.ended(onThird);
    job.dispatcher.workerGone(second.getRef()); // the task that ran alone there killed it

    TaskLoss poison = job.failedForGood.get(onSecond);
    assertThat(poison).isNotNull();
    assertThat(poison.kind()).isEqualTo(TaskLoss.Kind.WORKER_DIED);
    assertThat(poison.workerDeaths()).isEqualTo(2);
    assertThat(poison.failures()).as("deaths are not task failures").isZero();
    assertThat(poison.cause()).startsWith("poison: 2 workers died while this task was on them (the last while it ran alone there)")
        .contains(first.getRef().path().address().toString());
    job.dispatcher.heard(third.getRef(), 10);
    job.dispatcher.dispatch();
    List<Integer> rest = ids(received(third));
    assertThat(rest).doesNotContain(onSecond).hasSize(1);
    assertThat(job.open.keySet()).containsExactlyElementsOf(rest);
  }

  @Test
  void aGoneWorkerAndOneWhoseNodeIsNotUpAreNeverLeasedTo() {
    Set<org.apache.pekko.actor.typed.ActorRef<WorkerMessage>> notUp = new HashSet<>();
    Job job = job(4, w -> !notUp.contains(w));
    TestProbe<WorkerMessage> gone = testKit.createTestProbe();
    TestProbe<WorkerMessage> exiting = testKit.createTestProbe();
    TestProbe<WorkerMessage> up = testKit.createTestProbe();
    job.dispatcher.heard(gone.getRef(), 0);
    job.dispatcher.workerGone(gone.getRef());
    notUp.add(exiting.getRef());

    assertThat(job.dispatcher.heard(gone.getRef(), 10)).as("a gone worker is not revived").isFalse();
    job.dispatcher.heard(exiting.getRef(), 10);
    job.dispatcher.dispatch();
    gone.expectNoMessage(Duration.ofMillis(50));
    exiting.expectNoMessage(Duration.ofMillis(50));

    job.dispatcher.heard(up.getRef(), 10);
    job.dispatcher.dispatch();
    assertThat(ids(received(up))).containsExactly(0, 1, 2, 3);
  }
}
