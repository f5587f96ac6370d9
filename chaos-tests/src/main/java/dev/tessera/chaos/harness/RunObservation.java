package dev.tessera.chaos.harness;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What a chaos run saw, gathered by the harness for {@link Invariants} to judge. Task indices run
 * from 0 to {@code reference.size() - 1}.
 *
 * @param finished the job ended (with every task a result or a recorded failure) before the run's deadline
 * @param results each task's result as the job reported it; null where it has none
 * @param reference each task's result in a fault-free run (null for a poisoned task)
 * @param deliveries how often each task's result was committed (journal events, or results handed
 *     to the job's sink); a task absent from the map was never committed
 * @param failures the tasks the job reported failed for good, with the reason
 * @param executions how often each task body ran, on any node (counted by the task itself)
 * @param maxAttempts the job's retry budget per task
 * @param poisoned the tasks planted to fail on every attempt
 * @param membership each surviving node's view at the end: member address to status ({@code Up}, ...)
 * @param coordinators the periods in which a coordinator of the job was active, by node
 */
public record RunObservation(
    boolean finished,
    List<Object> results,
    List<Object> reference,
    Map<Integer, Integer> deliveries,
    Map<Integer, String> failures,
    Map<Integer, Integer> executions,
    int maxAttempts,
    Set<Integer> poisoned,
    Map<String, Map<String, String>> membership,
    List<CoordinatorSpan> coordinators) {

  /**
   * A coordinator of the job was active on {@code node} from {@code from} until {@code to} (null:
   * still active at the end, or until its node died).
   */
  public record CoordinatorSpan(String node, Instant from, Instant to) {
    public CoordinatorSpan {
      Objects.requireNonNull(node, "node");
      Objects.requireNonNull(from, "from");
    }
  }

  public RunObservation {
    results = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(results));
    reference = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(reference));
    deliveries = Map.copyOf(deliveries);
    failures = Map.copyOf(failures);
    executions = Map.copyOf(executions);
    poisoned = Set.copyOf(poisoned);
    membership = Map.copyOf(membership);
    coordinators = List.copyOf(coordinators);
    if (results.size() != reference.size()) {
      throw new IllegalArgumentException(
          "results and reference must cover the same tasks, got " + results.size() + " and " + reference.size());
    }
  }
}
