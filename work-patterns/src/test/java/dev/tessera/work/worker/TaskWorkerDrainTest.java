package dev.tessera.work.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.job.PayloadCodec;
import dev.tessera.runtime.job.TaskRegistry;
import dev.tessera.runtime.job.TaskType;
import dev.tessera.work.protocol.CoordinatorMessage;
import dev.tessera.work.protocol.ProtocolInbox;
import dev.tessera.work.protocol.TaskOutcome;
import dev.tessera.work.protocol.WorkerMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** A worker told to drain (its node is leaving), with a probe as the job's coordinator. */
class TaskWorkerDrainTest {

  /** The worker, addressed as coordinators address it. */
  private static ActorRef<WorkerMessage> asWorker(ActorRef<TaskWorker.Command> worker) {
    return ProtocolInbox.of(WorkerMessage.class, worker);
  }

  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final TaskType<Integer, Integer> WAIT = TaskType.of("drain.wait", Integer.class, Integer.class);
  private static final PayloadCodec codec = new PayloadCodec();

  @AfterAll
  static void shutDown() {
    testKit.shutdownTestKit();
  }

  /**
   * A worker with one thread whose tasks wait for {@code release}, in a job coordinated by {@code
   * coordinator}, given five tasks; returns once the first has started (the other four wait).
   */
  private static ActorRef<TaskWorker.Command> workerInJob(
      String jobId, CountDownLatch release, TestProbe<CoordinatorMessage> coordinator) throws InterruptedException {
    CountDownLatch started = new CountDownLatch(1);
    TaskRegistry registry = TaskRegistry.builder().register(WAIT, x -> {
      started.countDown();
      release.await(30, TimeUnit.SECONDS);
      return x;
    }).build();
    ActorRef<TaskWorker.Command> worker = testKit.spawn(TaskWorker.create(registry, 1, 1 << 20));
    asWorker(worker).tell(new WorkerMessage.WorkOn(jobId, WAIT.name(), coordinator.getRef(), JobOptions.defaults()));
    coordinator.expectMessageClass(CoordinatorMessage.RequestWork.class);
    List<WorkerMessage.TaskAssignment> tasks = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      tasks.add(new WorkerMessage.TaskAssignment(i, 1, codec.encode(i)));
    }
    asWorker(worker).tell(new WorkerMessage.WorkBatch(jobId, tasks));
    assertThat(started.await(10, TimeUnit.SECONDS)).as("the first task started").isTrue();
    return worker;
  }

  /** The next message of a type, skipping heartbeats. */
  private static <T extends CoordinatorMessage> T next(TestProbe<CoordinatorMessage> probe, Class<T> type) {
    return type.cast(probe.fishForMessage(Duration.ofSeconds(5), m -> type.isInstance(m)
        ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
        : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore()).get(0));
  }

  @Test
  void aDrainingWorkerHandsBackWhatItHasNotStartedFinishesWhatItRunsAndOnlyThenSaysDone() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    TestProbe<CoordinatorMessage> coordinator = testKit.createTestProbe();
    ActorRef<TaskWorker.Command> worker = workerInJob("job-drain", release, coordinator);
    TestProbe<Done> drained = testKit.createTestProbe();

    worker.tell(new TaskWorker.Drain("its node is shutting down", Duration.ofSeconds(20), drained.getRef()));

    CoordinatorMessage.WorkerLeaving leaving = next(coordinator, CoordinatorMessage.WorkerLeaving.class);
    assertThat(leaving.returned()).as("the four queued behind the running one").containsExactly(1, 2, 3, 4);
    assertThat(leaving.why()).isEqualTo("its node is shutting down");
    drained.expectNoMessage(Duration.ofMillis(300));
    CoordinatorMessage.Heartbeat beat = next(coordinator, CoordinatorMessage.Heartbeat.class);
    assertThat(beat.running()).as("heartbeats say what runs").containsExactly(0);

    release.countDown();
    CoordinatorMessage.Outcomes outcomes = next(coordinator, CoordinatorMessage.Outcomes.class);
    assertThat(outcomes.outcomes()).extracting(TaskOutcome::taskId).containsExactly(0);
    drained.expectMessage(Done.getInstance());

    // A batch that crossed the leaving notice goes straight back.
    asWorker(worker).tell(new WorkerMessage.WorkBatch("job-drain", List.of(new WorkerMessage.TaskAssignment(7, 1, codec.encode(7)))));
    assertThat(next(coordinator, CoordinatorMessage.WorkerLeaving.class).returned()).containsExactly(7);
  }

  @Test
  void whenTheDrainTimeoutRunsOutTheTasksStillRunningAreHandedBackToo() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    TestProbe<CoordinatorMessage> coordinator = testKit.createTestProbe();
    ActorRef<TaskWorker.Command> worker = workerInJob("job-timeout", release, coordinator);
    TestProbe<Done> drained = testKit.createTestProbe();
    try {
      worker.tell(new TaskWorker.Drain("its node is shutting down", Duration.ofMillis(500), drained.getRef()));

      assertThat(next(coordinator, CoordinatorMessage.WorkerLeaving.class).returned()).containsExactly(1, 2, 3, 4);
      CoordinatorMessage.WorkerLeaving late = next(coordinator, CoordinatorMessage.WorkerLeaving.class);
      assertThat(late.returned()).containsExactly(0);
      assertThat(late.why()).contains("the drain timeout ran out");
      drained.expectMessage(Duration.ofSeconds(5), Done.getInstance());
    } finally {
      release.countDown();
    }
  }
}
