package dev.tessera.work.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.runtime.job.JobOptions;
import dev.tessera.work.protocol.TaskOutcome;
import dev.tessera.work.protocol.WorkerMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Tasks that prefer the node holding their input data: they go to a worker there, wait for it at
 * most {@link JobOptions#localityWait()}, and do not wait for a node without a live worker; tasks
 * without a preference go as before. Probes are the workers; a map puts each on a node; the
 * dispatcher's clock is passed explicitly.
 */
class TaskDispatcherLocalityTest {

  private static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void shutDown() {
    testKit.shutdownTestKit();
  }

  private static final String NODE_X = "pekko://tessera@10.0.0.1:25520";
  private static final String NODE_Y = "pekko://tessera@10.0.0.2:25520";
  private static final String NODE_Z = "pekko://tessera@10.0.0.3:25520";
  private static final Duration WAIT = Duration.ofMillis(500);
  private static final long W = WAIT.toNanos();
  private static final long T0 = 1_000_000_000L;
  private static final JobOptions OPTIONS = JobOptions.defaults().withBatchSize(10).withLocalityWait(WAIT);

  /** A job's facts as a coordinator keeps them, with each task's preferred node (absent: none). */
  private static final class Job implements TaskDispatcher.JobTasks {
    final Map<Integer, byte[]> open = new TreeMap<>();
    final Map<Integer, String> preferred = new HashMap<>();
    final Map<ActorRef<WorkerMessage>, String> nodes = new HashMap<>();
    /** Nodes the cluster says have a worker, whether or not it has asked yet. */
    final java.util.Set<String> expected = new java.util.HashSet<>();
    final List<Integer> asked = new ArrayList<>();
    TaskDispatcher dispatcher;

    @Override
    public byte[] openInput(int task) {
      return open.get(task);
    }

    @Override
    public void attemptLost(int task, TaskLoss loss) {}

    @Override
    public String preferredNode(int task) {
      asked.add(task);
      return preferred.get(task);
    }

    /** Adds tasks {@code from .. to-1}, each preferring {@code node} (null: none). */
    Job tasks(int from, int to, String node) {
      for (int task = from; task < to; task++) {
        open.put(task, new byte[] {(byte) task});
        if (node != null) {
          preferred.put(task, node);
        }
        dispatcher.add(task);
      }
      return this;
    }

    TestProbe<WorkerMessage> workerOn(String node) {
      TestProbe<WorkerMessage> worker = testKit.createTestProbe();
      nodes.put(worker.getRef(), node);
      return worker;
    }

    /** The task's result arrives, and the coordinator ends it. */
    void completes(TestProbe<WorkerMessage> worker, int task, int attempt) {
      dispatcher.accept(worker.getRef(), new TaskOutcome.Succeeded(task, attempt, new byte[0]));
      open.remove(task);
      dispatcher.ended(task);
    }
  }

  private static Job job(JobOptions options) {
    Job job = new Job();
    job.dispatcher = new TaskDispatcher("job-1", options, LoggerFactory.getLogger(TaskDispatcherLocalityTest.class),
        job, w -> {}, w -> true, job.nodes::get, job.expected::contains);
    return job;
  }

  private static List<Integer> received(TestProbe<WorkerMessage> worker) {
    return worker.expectMessageClass(WorkerMessage.WorkBatch.class).tasks().stream()
        .map(WorkerMessage.TaskAssignment::taskId).toList();
  }

  @Test
  void aTaskGoesToAWorkerOnItsPreferredNodeEvenWhenAnotherWorkerAskedFirst() {
    Job job = job(OPTIONS);
    TestProbe<WorkerMessage> onY = job.workerOn(NODE_Y);
    TestProbe<WorkerMessage> onX = job.workerOn(NODE_X);
    job.dispatcher.heard(onY.getRef(), 10);
    job.dispatcher.heard(onX.getRef(), 10);

    job.tasks(0, 2, NODE_X).tasks(2, 3, null);
    job.dispatcher.dispatch(T0);

    assertThat(received(onX)).containsExactly(0, 1);
    assertThat(received(onY)).as("the task without a preference").containsExactly(2);
    assertThat(job.dispatcher.tasksOnPreferredNode()).isEqualTo(2);
    assertThat(job.dispatcher.tasksOffPreferredNode()).isZero();
  }

  @Test
  void aTaskWaitsForItsNodesWorkerWithoutCreditAndGoesElsewhereOnceTheWaitRunsOut() {
    Job job = job(OPTIONS);
    TestProbe<WorkerMessage> onX = job.workerOn(NODE_X);
    TestProbe<WorkerMessage> onY = job.workerOn(NODE_Y);
    job.dispatcher.heard(onX.getRef(), 0); // live, no credit
    job.dispatcher.heard(onY.getRef(), 10);
    job.tasks(0, 1, NODE_X);

    job.dispatcher.dispatch(T0);
    job.dispatcher.dispatch(T0 + W - 1);
    onY.expectNoMessage(Duration.ofMillis(100));

    // No worker says anything: the next dispatch (the coordinator's tick) hands it out.
    job.dispatcher.dispatch(T0 + W);
    assertThat(received(onY)).containsExactly(0);
    onX.expectNoMessage(Duration.ofMillis(50));
    assertThat(job.dispatcher.tasksOffPreferredNode()).isEqualTo(1);
  }

  @Test
  void earlyInAJobATaskWaitsForItsNodesWorkerThatHasNotAskedYet() {
    Job job = job(OPTIONS);
    job.expected.add(NODE_X); // an Up member with the job's role, its worker not heard yet
    TestProbe<WorkerMessage> onY = job.workerOn(NODE_Y);
    job.dispatcher.heard(onY.getRef(), 10);
    job.tasks(0, 1, NODE_X).tasks(1, 2, NODE_Z); // Z: no worker there, and none expected

    job.dispatcher.dispatch(T0);
    assertThat(received(onY)).as("only the task of a node with no worker").containsExactly(1);

    TestProbe<WorkerMessage> onX = job.workerOn(NODE_X);
    job.dispatcher.heard(onX.getRef(), 10); // it asks, within the wait
    job.dispatcher.dispatch(T0 + W / 2);
    assertThat(received(onX)).containsExactly(0);
  }

  @Test
  void aNodeExpectedToHaveAWorkerIsWaitedForOnlyForTheFirstWaitOfTheJob() {
    Job job = job(OPTIONS);
    job.expected.add(NODE_X);
    TestProbe<WorkerMessage> onY = job.workerOn(NODE_Y);
    job.dispatcher.heard(onY.getRef(), 10);
    job.tasks(0, 1, NODE_X);

    job.dispatcher.dispatch(T0);
    onY.expectNoMessage(Duration.ofMillis(50));
    job.dispatcher.dispatch(T0 + W);
    assertThat(received(onY)).as("X's worker never asked").containsExactly(0);
  }

  @Test
  void itsNodesWorkerTakesTheTaskWhenItAsksWithinTheWait() {
    Job job = job(OPTIONS);
    TestProbe<WorkerMessage> onX = job.workerOn(NODE_X);
    TestProbe<WorkerMessage> onY = job.workerOn(NODE_Y);
    job.dispatcher.heard(onX.getRef(), 0);
    job.dispatcher.heard(onY.getRef(), 10);
    job.tasks(0, 1, NODE_X);
    job.dispatcher.dispatch(T0);

    job.dispatcher.heard(onX.getRef(), 1);
    job.dispatcher.dispatch(T0 + W / 2);
    assertThat(received(onX)).containsExactly(0);

    job.dispatcher.dispatch(T0 + 2 * W);
    onY.expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void aWorkerElsewhereStartsTheWaitOfNoMoreTasksThanItHasCredits() {
    Job job = job(OPTIONS);
    TestProbe<WorkerMessage> onX = job.workerOn(NODE_X);
    TestProbe<WorkerMessage> onY = job.workerOn(NODE_Y);
    job.dispatcher.heard(onX.getRef(), 0);
    job.dispatcher.heard(onY.getRef(), 1);
    job.tasks(0, 3, NODE_X);

    job.dispatcher.dispatch(T0); // task 0 starts waiting; 1 and 2 are not yet passed over
    job.dispatcher.dispatch(T0 + W);
    assertThat(received(onY)).containsExactly(0);

    job.dispatcher.heard(onY.getRef(), 2);
    job.dispatcher.dispatch(T0 + 3 * W); // task 1 starts waiting only now
    onY.expectNoMessage(Duration.ofMillis(100));
    job.dispatcher.dispatch(T0 + 4 * W);
    assertThat(received(onY)).containsExactly(1);
  }

  @Test
  void aTaskWhoseNodeHasNoLiveWorkerGoesAtOnce() {
    Job job = job(OPTIONS);
    TestProbe<WorkerMessage> onY = job.workerOn(NODE_Y);
    job.dispatcher.heard(onY.getRef(), 10);

    job.tasks(0, 1, NODE_Z); // no worker there at all
    job.dispatcher.dispatch(T0);
    assertThat(received(onY)).containsExactly(0);

    TestProbe<WorkerMessage> leaving = job.workerOn(NODE_X);
    job.dispatcher.heard(leaving.getRef(), 0);
    job.dispatcher.workerLeaving(leaving.getRef(), List.of(), "its node is leaving");
    job.tasks(1, 2, NODE_X);
    job.dispatcher.dispatch(T0);
    assertThat(received(onY)).as("its node's only worker is leaving").containsExactly(1);
    job.completes(onY, 0, 1);
    job.completes(onY, 1, 1); // so that the silence check below takes nothing back from onY

    TestProbe<WorkerMessage> silent = job.workerOn(NODE_Z);
    job.dispatcher.heard(silent.getRef(), 0);
    job.dispatcher.check(System.nanoTime() + OPTIONS.workerSilenceTimeout().toNanos() + 1);
    job.dispatcher.heard(onY.getRef(), 10); // heard again: no longer suspected, unlike the silent one
    job.tasks(2, 3, NODE_Z);
    job.dispatcher.dispatch(T0);
    assertThat(received(onY)).as("its node's only worker is silent").containsExactly(2);

    TestProbe<WorkerMessage> stopped = job.workerOn(NODE_X);
    job.dispatcher.heard(stopped.getRef(), 0);
    job.tasks(3, 4, NODE_X);
    job.dispatcher.dispatch(T0);
    onY.expectNoMessage(Duration.ofMillis(100));
    job.dispatcher.workerGone(stopped.getRef());
    job.dispatcher.dispatch(T0);
    assertThat(received(onY)).as("its node's only worker stopped").containsExactly(3);
  }

  @Test
  void tasksWithoutAPreferenceKeepTheirOrderAndBatches() {
    for (JobOptions options : List.of(OPTIONS, OPTIONS.withLocalityWait(Duration.ZERO))) {
      Job job = job(options);
      TestProbe<WorkerMessage> first = job.workerOn(NODE_X);
      TestProbe<WorkerMessage> second = job.workerOn(NODE_Y);
      job.tasks(0, 25, null);
      job.dispatcher.heard(first.getRef(), 12);
      job.dispatcher.heard(second.getRef(), 30);

      job.dispatcher.dispatch(T0);

      assertThat(received(first)).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
      assertThat(received(first)).containsExactly(10, 11);
      assertThat(received(second)).containsExactly(12, 13, 14, 15, 16, 17, 18, 19, 20, 21);
      assertThat(received(second)).containsExactly(22, 23, 24);
    }

    // Beside tasks that prefer a node, the others keep their order too.
    Job mixed = job(OPTIONS);
    TestProbe<WorkerMessage> onY = mixed.workerOn(NODE_Y);
    mixed.tasks(0, 3, null).tasks(3, 5, NODE_X).tasks(5, 8, null);
    mixed.dispatcher.heard(onY.getRef(), 3);
    mixed.dispatcher.dispatch(T0);
    mixed.dispatcher.heard(onY.getRef(), 6);
    mixed.dispatcher.dispatch(T0);
    assertThat(received(onY)).as("node X has no worker: its tasks are free, and go first").containsExactly(3, 4, 0);
    assertThat(received(onY)).containsExactly(1, 2, 5);
  }

  @Test
  void aZeroWaitIgnoresPreferencesAndTheNodeIsAskedOncePerTask() {
    Job job = job(OPTIONS.withLocalityWait(Duration.ZERO));
    TestProbe<WorkerMessage> onY = job.workerOn(NODE_Y);
    TestProbe<WorkerMessage> onX = job.workerOn(NODE_X);
    job.dispatcher.heard(onY.getRef(), 10);
    job.dispatcher.heard(onX.getRef(), 10);
    job.tasks(0, 2, NODE_X);
    job.dispatcher.dispatch(T0);
    assertThat(received(onY)).containsExactly(0, 1);
    assertThat(job.asked).as("not even asked").isEmpty();

    Job asking = job(OPTIONS);
    TestProbe<WorkerMessage> worker = asking.workerOn(NODE_X);
    asking.tasks(0, 3, NODE_X);
    for (int i = 0; i < 3; i++) {
      asking.dispatcher.heard(worker.getRef(), i + 1);
      asking.dispatcher.dispatch(T0);
    }
    assertThat(asking.asked).containsExactly(0, 1, 2);
  }

  @Test
  void aTaskPutBackWaitsForItsNodeAgainAndAnEndedOneIsDropped() {
    Job job = job(OPTIONS);
    TestProbe<WorkerMessage> onX = job.workerOn(NODE_X);
    TestProbe<WorkerMessage> onY = job.workerOn(NODE_Y);
    job.dispatcher.heard(onX.getRef(), 2);
    job.tasks(0, 2, NODE_X);
    job.dispatcher.dispatch(T0);
    assertThat(received(onX)).containsExactly(0, 1);

    // Task 0 fails once; task 1 completes. Only task 0 waits again, for node X.
    job.dispatcher.accept(onX.getRef(), new TaskOutcome.Failed(0, 1, "boom", true));
    job.completes(onX, 1, 1);
    job.dispatcher.heard(onY.getRef(), 10);
    job.dispatcher.dispatch(T0 + W);
    onY.expectNoMessage(Duration.ofMillis(100));
    job.dispatcher.heard(onX.getRef(), 3);
    job.dispatcher.dispatch(T0 + W);
    assertThat(received(onX)).containsExactly(0);
  }

  @Test
  void aWorkerInTheCoordinatorsOwnActorSystemIsOnTheCoordinatorsNode() {
    TestProbe<WorkerMessage> local = testKit.createTestProbe();
    Address self = new Address("pekko", "tessera", "10.0.0.1", 25520);

    assertThat(TaskDispatcher.nodesSeenFrom(self).apply(local.getRef())).isEqualTo(NODE_X);
  }
}
