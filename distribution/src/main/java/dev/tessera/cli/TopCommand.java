package dev.tessera.cli;

import dev.tessera.runtime.cluster.ManagementClient;
import dev.tessera.runtime.dashboard.DashboardState;
import dev.tessera.runtime.dashboard.NodeReport;
import dev.tessera.runtime.launch.ExitCodes;
import dev.tessera.runtime.node.SeedAddress;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tessera top}: the dashboard's live view in a terminal, for someone who has only SSH to the
 * primary. Reads {@code GET /dashboard/state} of one node every {@code --interval} and redraws:
 * members, jobs (progress, rate, ETA, retries, failures, tasks taken back, coordinator),
 * throughput per node, GPUs, and the latest faults and recoveries with their recovery times.
 */
@Command(
    name = "top",
    mixinStandardHelpOptions = true,
    description = "Watch the cluster live in the terminal: members, jobs, throughput per node, GPUs, faults and "
        + "recoveries (what /dashboard shows). Ctrl-C to leave.")
final class TopCommand implements Callable<Integer> {

  private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneId.systemDefault());
  private static final String CLEAR = "\033[H\033[2J";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @CommandLine.Mixin ManagementOptions management;

  @Option(names = "--interval", paramLabel = "SECONDS", defaultValue = "1",
      description = "Redraw this often (default ${DEFAULT-VALUE} s).")
  double intervalSeconds;

  @Option(names = "--once", description = "Print the view once and exit (for scripts).")
  boolean once;

  @Option(names = "--events", paramLabel = "N", defaultValue = "10", description = "Timeline events shown (default ${DEFAULT-VALUE}).")
  int events;

  @Override
  public Integer call() throws InterruptedException {
    if (intervalSeconds < 0.2) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--interval must be at least 0.2 seconds");
    }
    SeedAddress address = management.address(spec);
    ManagementClient client = management.client(spec);
    PrintWriter out = spec.commandLine().getOut();
    boolean terminal = System.console() != null && !once;
    while (true) {
      DashboardState state = management.read(client, address,
          (c, host, port) -> c.get(host, port, "/dashboard/state", DashboardState.class, "the dashboard's state"));
      if (terminal) {
        out.print(CLEAR);
      }
      print(state, events, out);
      out.flush();
      if (once) {
        return ExitCodes.OK;
      }
      Thread.sleep((long) (intervalSeconds * 1000));
    }
  }

  static void print(DashboardState s, int events, PrintWriter out) {
    long up = s.members().stream().filter(m -> m.status().equals("Up")).count();
    long unreachable = s.members().stream().filter(m -> !m.reachable() && !m.status().equals("Removed")).count();
    out.printf("tessera top: %s at %s; %d members, %d Up, %d unreachable%n%n", shortAddress(s.node()),
        CLOCK.format(Instant.ofEpochMilli(s.atMillis())), s.members().size(), up, unreachable);

    out.printf("%-42s %-13s %-25s %-22s %-9s %-9s %7s %7s %6s %5s%n", "JOB", "STATE", "PROGRESS", "DONE", "RATE/S", "ETA",
        "RETRIED", "FAILED", "TAKEN", "COORD");
    if (s.jobs().isEmpty()) {
      out.println("(no jobs coordinated in the last minutes)");
    }
    for (NodeReport.JobRow j : s.jobs()) {
      out.printf("%-42s %-13s %-25s %-22s %-9.1f %-9s %7d %7d %6d %s%n", clip(j.jobId(), 42), j.state(),
          bar(j.total() == 0 ? 0 : (double) j.done() / j.total(), 23), j.done() + " / " + j.total(), j.tasksPerSecond(),
          !j.state().equals("running") ? "" : j.etaSeconds() < 0 ? "?" : seconds(j.etaSeconds()), j.retried(), j.failed(),
          j.takenBack(), shortAddress(j.coordinator()));
    }

    out.printf("%n%-28s %-30s %-9s %s%n", "MEMBER", "ROLES", "STATUS", "REACHABLE");
    for (DashboardState.MemberRow m : s.members()) {
      out.printf("%-28s %-30s %-9s %s%n", shortAddress(m.address()), clip(String.join(",", m.roles()), 30), m.status(),
          m.status().equals("Removed") ? "" : m.reachable() ? "yes" : "NO");
    }

    double max = Math.max(1, s.nodes().stream().mapToDouble(DashboardState.NodeRow::tasksPerSecond).max().orElse(1));
    out.printf("%n%-28s %10s %-22s %10s %12s%n", "NODE", "TASKS/S", "", "BUSY", "TASKS RUN");
    for (DashboardState.NodeRow n : s.nodes()) {
      out.printf("%-28s %10.1f %-22s %10s %12d%n", shortAddress(n.node()), n.tasksPerSecond(),
          bar(n.tasksPerSecond() / max, 20), n.busySlots() + "/" + n.slots(), n.tasksRun());
    }

    if (!s.gpus().isEmpty()) {
      out.printf("%n%-28s %4s %10s %9s %10s %12s %10s%n", "GPU NODE", "GPU", "CALLS", "CALLS/S", "MEAN MS", "MEMORY MiB",
          "CPU FALLB.");
      for (DashboardState.GpuView g : s.gpus()) {
        NodeReport.GpuRow r = g.gpu();
        out.printf("%-28s %4s %10d %9.1f %10.2f %12.1f %10d%n", shortAddress(g.node()), r.gpu(), r.calls(),
            r.callsPerSecond(), r.meanCallMillis(), r.memoryBytes() / 1048576.0, r.cpuFallbacks());
      }
    }

    out.printf("%nFAULTS AND RECOVERIES (latest %d)%n", events);
    List<NodeReport.TimelineEvent> timeline = s.timeline();
    if (timeline.isEmpty()) {
      out.println("(nothing has gone wrong yet)");
    }
    for (NodeReport.TimelineEvent e : timeline.subList(Math.max(0, timeline.size() - events), timeline.size())) {
      String recovery = e.recoveryMillis() >= 0 ? "  [recovered in " + seconds(e.recoveryMillis() / 1000.0) + "]" : "";
      out.printf("%s %-22s %s%s%n", CLOCK.format(Instant.ofEpochMilli(e.atMillis())), e.kind(), e.text(), recovery);
    }
  }

  static String bar(double fraction, int width) {
    int filled = (int) Math.round(Math.max(0, Math.min(1, fraction)) * width);
    return "[" + "#".repeat(filled) + ".".repeat(width - filled) + "]";
  }

  private static String seconds(double s) {
    return s < 60 ? String.format("%.1f s", s) : s < 3600 ? String.format("%d min %d s", (long) s / 60, Math.round(s % 60))
        : String.format("%d h %d min", (long) s / 3600, Math.round((s % 3600) / 60));
  }

  private static String shortAddress(String address) {
    int at = address.indexOf('@');
    return at < 0 ? address : address.substring(at + 1);
  }

  private static String clip(String s, int width) {
    return s.length() <= width ? s : s.substring(0, width - 1) + "~";
  }
}
