package dev.tessera.runtime.dashboard;

import java.util.List;

/**
 * The dashboard's view of the cluster as one node sees it, served as JSON at {@code GET
 * /dashboard/state} and read by the page and by {@code tessera top}.
 *
 * @param node the node answering
 * @param atMillis when (its clock)
 * @param members every member it knows, and those removed in the last minutes
 * @param nodes each node's worker, from its latest report
 * @param jobs every job a node reports coordinating (or having coordinated lately)
 * @param gpus every GPU the nodes report
 * @param timeline faults and recoveries, oldest first
 */
public record DashboardState(
    String node,
    long atMillis,
    List<MemberRow> members,
    List<NodeRow> nodes,
    List<NodeReport.JobRow> jobs,
    List<GpuView> gpus,
    List<NodeReport.TimelineEvent> timeline) {

  /**
   * @param status Pekko's member status ({@code Up}, {@code Leaving}, ...), or {@code Removed}
   * @param reachable false while some member's failure detector finds it unreachable
   */
  public record MemberRow(String address, List<String> roles, String status, boolean reachable) {}

  /**
   * @param reportAgeMillis how old its latest report is (a node that stopped reporting grows old)
   */
  public record NodeRow(String node, double tasksPerSecond, long tasksRun, int busySlots, int slots, long reportAgeMillis) {}

  /** A GPU and the node it is on. */
  public record GpuView(String node, NodeReport.GpuRow gpu) {}
}
