package dev.tessera.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.runtime.dashboard.DashboardState;
import dev.tessera.runtime.dashboard.NodeReport;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What {@code tessera top} prints for a cluster with a job, a GPU, a killed node and its recovery. */
class TopCommandTest {

  @Test
  void printsJobsMembersThroughputGpusAndTheTimelineWithRecoveryTimes() {
    long now = 1_764_800_000_000L;
    String a = "pekko://tessera@10.0.0.1:25520";
    String b = "pekko://tessera@10.0.0.2:25520";
    DashboardState state = new DashboardState(a, now,
        List.of(new DashboardState.MemberRow(a, List.of("primary", "worker"), "Up", true),
            new DashboardState.MemberRow(b, List.of("worker"), "Removed", false)),
        List.of(new DashboardState.NodeRow(a, 120.5, 9000, 2, 4, 300)),
        List.of(new NodeReport.JobRow("heat-run", "heat.step", a, "running", 1000, 250, 4, 1, 3, 12, now - 60_000, 50, 15)),
        List.of(new DashboardState.GpuView(a, new NodeReport.GpuRow("0", 500, 12.5, 1.25, 64L << 20, 2))),
        List.of(new NodeReport.TimelineEvent(a + "#1", now - 5000, "unreachable", b,
                "node " + b + " unreachable; removed; the cluster went on without it after 3.8 s", 3800),
            new NodeReport.TimelineEvent(a + "#2", now - 4000, "taken-back", b,
                "job heat-run: 12 tasks taken back from " + b + " (worker killed)", -1)));
    StringWriter text = new StringWriter();
    TopCommand.print(state, 10, new PrintWriter(text));
    String out = text.toString();

    assertThat(out).contains("tessera top: 10.0.0.1:25520 at ").contains("2 members, 1 Up, 0 unreachable");
    assertThat(out).containsPattern("heat-run\\s+running\\s+\\[#{6}\\.{17}\\]\\s+250 / 1000\\s+50\\.0\\s+15\\.0 s\\s+3\\s+1\\s+12 10\\.0\\.0\\.1:25520");
    assertThat(out).containsPattern("10\\.0\\.0\\.2:25520\\s+worker\\s+Removed");
    assertThat(out).containsPattern("10\\.0\\.0\\.1:25520\\s+120\\.5 \\[#{20}\\]\\s+2/4\\s+9000");
    assertThat(out).containsPattern("10\\.0\\.0\\.1:25520\\s+0\\s+500\\s+12\\.5\\s+1\\.25\\s+64\\.0\\s+2");
    assertThat(out).contains("unreachable            node " + b + " unreachable; removed; the cluster went on without it after 3.8 s"
        + "  [recovered in 3.8 s]");
    assertThat(out).contains("taken-back             job heat-run: 12 tasks taken back from " + b + " (worker killed)\n");
  }
}
