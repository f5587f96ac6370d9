package dev.tessera.chaos.harness;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * When each fault of a run happens, drawn from a seed: the same scenario, seed, node count and
 * duration always give the same schedule, so a failing run can be replayed exactly.
 *
 * <pre>{@code
 * FaultSchedule schedule = FaultSchedule.draw(Scenario.WORKER_KILL, 42, 3, Duration.ofSeconds(60));
 * }</pre>
 *
 * <p>Every schedule leaves the cluster whole by its end: what is killed or stopped is started again,
 * what is frozen is resumed, a partition is healed, all before 90% of the duration, so the job can
 * finish and the invariants can be checked on a converged cluster.
 *
 * @param faults in time order, times from the start of the run
 */
public record FaultSchedule(Scenario scenario, long seed, int nodes, Duration duration, List<TimedFault> faults) {

  /** A fault and when it happens, from the start of the run. */
  public record TimedFault(Duration at, Fault fault) {
    public TimedFault {
      Objects.requireNonNull(at, "at");
      Objects.requireNonNull(fault, "fault");
    }
  }

  /** The shortest run a schedule is drawn for: failure detection alone takes seconds. */
  public static final Duration MIN_DURATION = Duration.ofSeconds(20);

  public FaultSchedule {
    Objects.requireNonNull(scenario, "scenario");
    Objects.requireNonNull(duration, "duration");
    faults = List.copyOf(faults);
  }

  /**
   * @throws IllegalArgumentException when the scenario needs more nodes ({@link #minNodes}) or the
   *     duration is shorter than {@link #MIN_DURATION}
   */
  public static FaultSchedule draw(Scenario scenario, long seed, int nodes, Duration duration) {
    Objects.requireNonNull(scenario, "scenario");
    Objects.requireNonNull(duration, "duration");
    if (nodes < minNodes(scenario)) {
      throw new IllegalArgumentException(
          "scenario " + scenario.cliName() + " needs at least " + minNodes(scenario) + " nodes, got " + nodes);
    }
    if (duration.compareTo(MIN_DURATION) < 0) {
      throw new IllegalArgumentException("a chaos run lasts at least " + MIN_DURATION.toSeconds() + " s, got " + duration);
    }
    // The scenario is mixed into the seed: one seed gives unrelated schedules to different scenarios.
    SplittableRandom random = new SplittableRandom(seed * 31 + scenario.ordinal());
    Draw draw = new Draw(random, duration.toMillis());
    switch (scenario) {
      case WORKER_KILL -> {
        List<Integer> victims = shuffled(nodes, random);
        draw.outage(0.10, 0.35, 2_000, 0.15, new Fault.Kill(victims.get(0)), new Fault.Start(victims.get(0)));
        // The first node is back (at most 50% in) before the second is killed (55% at the earliest).
        draw.outage(0.55, 0.70, 2_000, 0.15, new Fault.Kill(victims.get(1)), new Fault.Start(victims.get(1)));
      }
      case WORKER_FREEZE -> {
        int victim = shuffled(nodes, random).get(0);
        draw.outage(0.10, 0.40, 3_000, 0.30, new Fault.Freeze(victim), new Fault.Resume(victim));
      }
      case COORDINATOR_KILL -> draw.outage(0.15, 0.45, 2_000, 0.20, new Fault.KillCoordinatorNode(), new Fault.StartStopped());
      case WHOLE_CLUSTER_RESTART -> draw.outage(0.20, 0.45, 1_000, 0.10, new Fault.KillAll(), new Fault.StartStopped());
      case ROLLING_RESTART -> {
        List<Integer> order = shuffled(nodes, random);
        // Evenly spaced over 10%..80% of the run, one node at a time: each is stopped in the first
        // quarter of its slot and started again within half a slot.
        double slot = 0.70 / nodes;
        long minOutage = Math.min(1_000, (long) (duration.toMillis() * slot / 4));
        for (int i = 0; i < nodes; i++) {
          double from = 0.10 + i * slot;
          draw.outage(from, from + slot / 4, minOutage, slot / 2, new Fault.Stop(order.get(i)), new Fault.Start(order.get(i)));
        }
      }
      case PARTITION -> {
        List<Integer> order = shuffled(nodes, random);
        // The larger side keeps a majority, so the split brain resolver keeps it and downs the other.
        int minority = (nodes - 1) / 2;
        List<Integer> sideB = sorted(order.subList(0, minority));
        List<Integer> sideA = sorted(order.subList(minority, nodes));
        draw.outage(0.15, 0.40, 5_000, 0.30, new Fault.Partition(sideA, sideB), new Fault.Heal());
      }
    }
    List<TimedFault> faults = new ArrayList<>(draw.faults);
    faults.sort(Comparator.comparing(TimedFault::at));
    return new FaultSchedule(scenario, seed, nodes, duration, faults);
  }

  /**
   * The fewest nodes a scenario makes sense with. A node that crashes or hangs must leave a strict
   * majority behind: the split brain resolver keeps the majority, and of two nodes, the one left
   * when the oldest dies would down itself.
   */
  public static int minNodes(Scenario scenario) {
    return switch (scenario) {
      case WORKER_KILL, WORKER_FREEZE, COORDINATOR_KILL, PARTITION -> 3;
      case ROLLING_RESTART -> 2;
      case WHOLE_CLUSTER_RESTART -> 1;
    };
  }

  /** Draws the times of fault-and-repair pairs within one run. */
  private static final class Draw {
    private final SplittableRandom random;
    private final long millis;
    private final List<TimedFault> faults = new ArrayList<>();

    Draw(SplittableRandom random, long millis) {
      this.random = random;
      this.millis = millis;
    }

    /**
     * {@code fault} at a time between the two fractions of the run, {@code repair} between {@code
     * minOutageMillis} and {@code maxOutageFraction} of the run later (never past 90% of it).
     */
    void outage(double fromFraction, double toFraction, long minOutageMillis, double maxOutageFraction, Fault fault, Fault repair) {
      long at = (long) (millis * fromFraction) + random.nextLong(Math.max(1, (long) (millis * (toFraction - fromFraction))));
      long longest = Math.max(minOutageMillis + 1, (long) (millis * maxOutageFraction));
      // (For a rolling restart the longest outage is half a slot, and the minimum at most a quarter.)
      long repairAt = Math.min((long) (millis * 0.90), at + minOutageMillis + random.nextLong(longest - minOutageMillis));
      faults.add(new TimedFault(Duration.ofMillis(at), fault));
      faults.add(new TimedFault(Duration.ofMillis(Math.max(repairAt, at + 1)), repair));
    }
  }

  private static List<Integer> shuffled(int nodes, SplittableRandom random) {
    List<Integer> order = new ArrayList<>(IntStream.rangeClosed(1, nodes).boxed().toList());
    for (int i = order.size() - 1; i > 0; i--) {
      Collections.swap(order, i, random.nextInt(i + 1));
    }
    return order;
  }

  private static List<Integer> sorted(List<Integer> nodes) {
    List<Integer> copy = new ArrayList<>(nodes);
    Collections.sort(copy);
    return copy;
  }
}
