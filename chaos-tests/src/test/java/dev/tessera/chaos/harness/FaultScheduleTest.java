package dev.tessera.chaos.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class FaultScheduleTest {

  private static final List<Duration> DURATIONS = List.of(Duration.ofSeconds(20), Duration.ofSeconds(60), Duration.ofMinutes(10));

  @ParameterizedTest
  @EnumSource(Scenario.class)
  void theSameSeedGivesTheSameScheduleAndOthersMostlyDiffer(Scenario scenario) {
    int nodes = Math.max(3, FaultSchedule.minNodes(scenario));
    Set<List<FaultSchedule.TimedFault>> distinct = new HashSet<>();
    for (long seed = 0; seed < 20; seed++) {
      FaultSchedule once = FaultSchedule.draw(scenario, seed, nodes, Duration.ofSeconds(60));
      FaultSchedule again = FaultSchedule.draw(scenario, seed, nodes, Duration.ofSeconds(60));
      assertThat(again).isEqualTo(once);
      distinct.add(once.faults());
    }
    assertThat(distinct).as("20 seeds give 20 schedules").hasSize(20);
  }

  /** Replays a schedule on a model of the cluster and checks what every scenario promises. */
  @ParameterizedTest
  @EnumSource(Scenario.class)
  void everyScheduleLeavesTheClusterWholeAndKeepsItsPromises(Scenario scenario) {
    for (Duration duration : DURATIONS) {
      for (int nodes = FaultSchedule.minNodes(scenario); nodes <= 7; nodes++) {
        for (long seed = 0; seed < 50; seed++) {
          FaultSchedule schedule = FaultSchedule.draw(scenario, seed, nodes, duration);
          String label = scenario.cliName() + " seed " + seed + ", " + nodes + " nodes, " + duration;
          checkReplay(schedule, label);
        }
      }
    }
  }

  private static void checkReplay(FaultSchedule schedule, String label) {
    int nodes = schedule.nodes();
    Set<Integer> down = new TreeSet<>();
    Set<Integer> frozen = new TreeSet<>();
    boolean partitioned = false;
    Set<Integer> stoppedOnce = new HashSet<>();
    Duration previous = Duration.ZERO;
    for (FaultSchedule.TimedFault timed : schedule.faults()) {
      assertThat(timed.at()).as(label + ": in time order").isGreaterThanOrEqualTo(previous);
      assertThat(timed.at()).as(label + ": before 90%% of the run").isLessThanOrEqualTo(schedule.duration().multipliedBy(9).dividedBy(10));
      previous = timed.at();
      Fault fault = timed.fault();
      if (fault instanceof Fault.Kill kill) {
        assertThat(down.add(kill.node())).as(label + ": killed a running node").isTrue();
      } else if (fault instanceof Fault.Stop stop) {
        assertThat(down.add(stop.node())).as(label + ": stopped a running node").isTrue();
        assertThat(stoppedOnce.add(stop.node())).as(label + ": each node stopped once").isTrue();
      } else if (fault instanceof Fault.Start start) {
        assertThat(down.remove(start.node())).as(label + ": started a stopped node").isTrue();
      } else if (fault instanceof Fault.Freeze freeze) {
        assertThat(frozen.add(freeze.node())).isTrue();
      } else if (fault instanceof Fault.Resume resume) {
        assertThat(frozen.remove(resume.node())).isTrue();
      } else if (fault instanceof Fault.KillCoordinatorNode) {
        down.add(0); // a node chosen when it happens
      } else if (fault instanceof Fault.KillAll) {
        IntStream.rangeClosed(1, nodes).forEach(down::add);
      } else if (fault instanceof Fault.StartStopped) {
        down.clear();
      } else if (fault instanceof Fault.Partition partition) {
        assertThat(partitioned).isFalse();
        partitioned = true;
        Set<Integer> all = new TreeSet<>(partition.sideA());
        all.addAll(partition.sideB());
        assertThat(all).as(label + ": the sides cover every node once")
            .hasSize(nodes).containsExactlyElementsOf(IntStream.rangeClosed(1, nodes).boxed().toList());
        assertThat(partition.sideA().size()).as(label + ": side A keeps the majority").isGreaterThan(partition.sideB().size());
        assertThat(partition.sideB()).isNotEmpty();
      } else if (fault instanceof Fault.Heal) {
        assertThat(partitioned).isTrue();
        partitioned = false;
      }
      boolean workerScenario = schedule.scenario() == Scenario.WORKER_KILL
          || schedule.scenario() == Scenario.WORKER_FREEZE
          || schedule.scenario() == Scenario.ROLLING_RESTART;
      if (workerScenario) {
        assertThat(down.size() + frozen.size()).as(label + ": one node out at a time, the others keep working").isLessThanOrEqualTo(1);
      }
    }
    assertThat(down).as(label + ": every node running at the end").isEmpty();
    assertThat(frozen).as(label + ": none frozen at the end").isEmpty();
    assertThat(partitioned).as(label + ": healed at the end").isFalse();
    if (schedule.scenario() == Scenario.ROLLING_RESTART) {
      assertThat(stoppedOnce).as(label + ": every node restarted").hasSize(nodes);
    }
  }

  @Test
  void tooFewNodesOrTooShortARunIsRefusedSayingWhy() {
    assertThatThrownBy(() -> FaultSchedule.draw(Scenario.PARTITION, 1, 2, Duration.ofSeconds(60)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("scenario partition needs at least 3 nodes, got 2");
    assertThatThrownBy(() -> FaultSchedule.draw(Scenario.WORKER_KILL, 1, 3, Duration.ofSeconds(5)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least 20 s");
    assertThatThrownBy(() -> Scenario.parse("worker-kil"))
        .hasMessage("no scenario 'worker-kil'; there are: worker-kill, worker-freeze, coordinator-kill, "
            + "whole-cluster-restart, rolling-restart, partition");
  }

  @Test
  void aScheduleReadsBackFromItsJson() throws Exception {
    ObjectMapper json = new ObjectMapper().findAndRegisterModules();
    for (Scenario scenario : Scenario.values()) {
      FaultSchedule schedule = FaultSchedule.draw(scenario, 7, 5, Duration.ofSeconds(90));

      String text = json.writeValueAsString(schedule);

      assertThat(json.readValue(text, FaultSchedule.class)).isEqualTo(schedule);
    }
  }
}
