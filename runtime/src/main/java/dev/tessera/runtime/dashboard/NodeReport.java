package dev.tessera.runtime.dashboard;

import dev.tessera.runtime.serialization.CborSerializable;
import java.util.List;

/**
 * What one node tells every other node's dashboard, about twice a second (published on the {@code
 * tessera-dashboard} topic by its {@link DashboardActor}): how fast its worker runs tasks, the jobs
 * it coordinates, its GPUs, and the faults and recoveries it saw as a coordinator.
 *
 * @param node the node's address
 * @param atMillis when the report was made (the node's clock)
 * @param tasksPerSecond tasks its worker finished per second over the last few seconds
 * @param tasksRun tasks its worker finished since it started
 * @param busySlots task threads running a task now
 * @param slots task threads
 * @param jobs the jobs it coordinates, and those it coordinated that ended in the last minutes
 * @param gpus its GPUs, with their use
 * @param events its recent timeline events (a coordinator's: tasks taken back and re-run, a job's
 *     coordinator recovered here)
 */
public record NodeReport(
    String node,
    long atMillis,
    double tasksPerSecond,
    long tasksRun,
    int busySlots,
    int slots,
    List<JobRow> jobs,
    List<GpuRow> gpus,
    List<TimelineEvent> events) implements CborSerializable {

  /**
   * One job as its coordinator sees it.
   *
   * @param state {@code running} or {@code ended}
   * @param tasksPerSecond results accepted per second over the last few seconds
   * @param etaSeconds time left at that rate; -1 when unknown
   */
  public record JobRow(
      String jobId,
      String taskType,
      String coordinator,
      String state,
      int total,
      int done,
      int running,
      int failed,
      int retried,
      int takenBack,
      long startedMillis,
      double tasksPerSecond,
      double etaSeconds) implements CborSerializable {}

  /**
   * One GPU of a node.
   *
   * @param gpu its ordinal on the node
   * @param calls kernel calls answered (ok and failed)
   * @param callsPerSecond over the last few seconds
   * @param meanCallMillis mean call latency over the node's life, ask to answer
   * @param memoryBytes device memory the runtime's pool holds
   * @param cpuFallbacks calls computed on the CPU instead (the node's, over all its GPUs)
   */
  public record GpuRow(String gpu, long calls, double callsPerSecond, double meanCallMillis, long memoryBytes,
      long cpuFallbacks) implements CborSerializable {}

  /**
   * A fault or a recovery, for the dashboard's timeline.
   *
   * @param id unique in the cluster (the reporting node's address and a sequence number); an event
   *     reported again with the same id replaces the earlier version (its recovery time filled in)
   * @param kind {@code unreachable}, {@code reachable}, {@code downed}, {@code removed}, {@code
   *     joined}, {@code taken-back}, {@code coordinator-recovered}
   * @param node the node the event is about
   * @param text what happened, in words
   * @param recoveryMillis how long the recovery took; -1 while it has not (yet) recovered, or for
   *     an event that is not a fault
   */
  public record TimelineEvent(String id, long atMillis, String kind, String node, String text, long recoveryMillis)
      implements CborSerializable {}
}
