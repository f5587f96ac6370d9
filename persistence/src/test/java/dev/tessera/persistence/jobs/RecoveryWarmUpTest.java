package dev.tessera.persistence.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The recovery warm-up reads every kind of job event and a running job's snapshot back through CBOR. */
class RecoveryWarmUpTest {

  private static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void shutDown() {
    testKit.shutdownTestKit();
  }

  @Test
  void historyHoldsEveryKindOfEvent() {
    Set<Class<?>> kinds = RecoveryWarmUp.history().stream().map(Object::getClass).collect(Collectors.toSet());
    assertThat(kinds).containsExactlyInAnyOrder(JobEvent.class.getPermittedSubclasses());
  }

  @Test
  void snapshotReadBackEqualsTheLedgerItWasTakenFrom() {
    JobLedger readBack = RecoveryWarmUp.run(testKit.system());

    List<JobEvent> history = RecoveryWarmUp.history();
    JobLedger expected = new JobLedger();
    history.subList(0, history.size() / 2 + 1).forEach(expected::apply);
    assertThat(expected.status).isEqualTo(JobLedger.Status.RUNNING);
    assertThat(expected.done).isBetween(RecoveryWarmUp.TASKS / 4, RecoveryWarmUp.TASKS * 3 / 4);

    assertThat(readBack.status).isEqualTo(JobLedger.Status.RUNNING);
    assertThat(readBack.total).isEqualTo(RecoveryWarmUp.TASKS);
    assertThat(readBack.sealed).isTrue();
    assertThat(readBack.done).isEqualTo(expected.done);
    assertThat(readBack.unfinished.keySet()).isEqualTo(expected.unfinished.keySet());
    assertThat(readBack.failures).isEqualTo(expected.failures);
    assertThat(readBack.stored).as("results kept in the table of large results").hasSize(1).isEqualTo(expected.stored);
    IntStream.range(0, RecoveryWarmUp.TASKS).forEach(task -> {
      assertThat(Arrays.equals(readBack.results.get(task), expected.results.get(task))).as("result of task %d", task).isTrue();
      assertThat(Arrays.equals(readBack.unfinished.get(task), expected.unfinished.get(task))).as("input of task %d", task).isTrue();
    });
  }
}
