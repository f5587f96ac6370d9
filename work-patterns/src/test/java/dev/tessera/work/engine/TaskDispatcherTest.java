package dev.tessera.work.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.runtime.job.JobOptions;
import dev.tessera.work.protocol.WorkerMessage;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.slf4j.event.EventRecordingLogger;
import org.slf4j.event.Level;
import org.slf4j.event.SubstituteLoggingEvent;
import org.slf4j.helpers.SubstituteLogger;

/** The dispatcher's clocks, driven with explicit times. */
class TaskDispatcherTest {

  private static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void shutDown() {
    testKit.shutdownTestKit();
  }

  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final long T = TIMEOUT.toNanos();
  private static final JobOptions OPTIONS = JobOptions.defaults()
      .withRequiredRole("gpu")
      .withWorkerSilenceTimeout(Duration.ofMillis(1500))
      .withNoCapableNodeTimeout(TIMEOUT);

  private final Queue<SubstituteLoggingEvent> logged = new ConcurrentLinkedQueue<>();

  private TaskDispatcher dispatcher() {
    EventRecordingLogger log = new EventRecordingLogger(new SubstituteLogger("test", logged, true), logged);
    TaskDispatcher dispatcher = new TaskDispatcher("job-1", OPTIONS, log, new TaskDispatcher.JobTasks() {
      @Override
      public byte[] openInput(int task) {
        return new byte[0];
      }

      @Override
      public void attemptLost(int task, TaskLoss loss) {}
    }, worker -> {});
    dispatcher.add(0);
    return dispatcher;
  }

  private List<String> warnings() {
    return logged.stream().filter(e -> e.getLevel() == Level.WARN).map(SubstituteLoggingEvent::getMessage).toList();
  }

  @Test
  void noCapableNodeFiresOnlyOnceTheTimeoutHasPassedWithoutABreak() {
    TaskDispatcher dispatcher = dispatcher();
    long start = 1_000_000_000L;

    assertThat(dispatcher.noCapableNode(start, false)).isFalse();
    assertThat(dispatcher.noCapableNode(start + T / 2, false)).isFalse();
    assertThat(dispatcher.noCapableNode(start + T, false)).isFalse();
    assertThat(dispatcher.noCapableNode(start + T + 1, false)).isTrue();
    assertThat(dispatcher.noCapableNode(start + 2 * T, false)).as("stays true while nobody comes").isTrue();
    assertThat(warnings()).as("one warning, when the wait starts").containsExactly(
        "job {}: no node in the cluster has role '{}'; its tasks fail in {} unless one joins");
  }

  @Test
  void aMemberWithTheRoleRestartsTheWait() {
    TaskDispatcher dispatcher = dispatcher();
    long start = 1_000_000_000L;

    dispatcher.noCapableNode(start, false);
    assertThat(dispatcher.noCapableNode(start + T - 1, true)).isFalse();
    assertThat(dispatcher.noCapableNode(start + T + 1, false)).as("the wait starts again").isFalse();
    assertThat(dispatcher.noCapableNode(start + 2 * T + 1, false)).isFalse();
    assertThat(dispatcher.noCapableNode(start + 2 * T + 2, false)).isTrue();
    assertThat(warnings()).as("a warning per wait").hasSize(2);
  }

  @Test
  void anActiveWorkerRestartsTheWaitAndOneGoneSilentStartsIt() {
    TaskDispatcher dispatcher = dispatcher();
    TestProbe<WorkerMessage> worker = testKit.createTestProbe();
    long start = System.nanoTime();

    dispatcher.noCapableNode(start, false);
    dispatcher.heard(worker.getRef(), 1);
    long heard = System.nanoTime();
    assertThat(dispatcher.noCapableNode(heard + T + 1, false)).as("an active worker can run it").isFalse();

    long silent = heard + OPTIONS.workerSilenceTimeout().toNanos() + 1;
    dispatcher.check(silent); // the worker is now suspected
    assertThat(dispatcher.activeWorkers()).isZero();
    assertThat(dispatcher.noCapableNode(silent, false)).isFalse();
    assertThat(dispatcher.noCapableNode(silent + T, false)).isFalse();
    assertThat(dispatcher.noCapableNode(silent + T + 1, false)).isTrue();
  }

  @Test
  void whileAMemberHasTheRoleItNeverFires() {
    TaskDispatcher dispatcher = dispatcher();

    for (long now = 0; now < 10 * T; now += T / 4) {
      assertThat(dispatcher.noCapableNode(now, true)).isFalse();
    }
    assertThat(warnings()).isEmpty();
  }
}
