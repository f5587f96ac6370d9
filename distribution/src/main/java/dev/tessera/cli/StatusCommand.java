package dev.tessera.cli;

import dev.tessera.runtime.cluster.MembersView;
import dev.tessera.runtime.launch.ExitCodes;
import dev.tessera.runtime.node.SeedAddress;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** {@code cluster status}: prints the members of a cluster as one of its nodes sees them. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = "Print the members of a cluster, their roles and state, as one node sees them.")
final class StatusCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @CommandLine.Mixin ManagementOptions management;

  @Override
  public Integer call() {
    SeedAddress address = management.address(spec);
    MembersView view = management.read(management.client(spec), address,
        (client, host, port) -> client.get(host, port, "/cluster/members", MembersView.class, "cluster membership"));
    print(view, spec.commandLine().getOut());
    spec.commandLine().getOut().flush();
    return ExitCodes.OK;
  }

  static void print(MembersView view, PrintWriter out) {
    out.printf("cluster seen from %s: %d members, %d Up, %d unreachable%n",
        view.selfNode(), view.members().size(), view.upCount(), view.unreachable().size());
    out.printf("%-44s %-9s %-11s %s%n", "MEMBER", "STATUS", "REACHABLE", "ROLES");
    for (MembersView.Member m : view.members()) {
      String flags = (m.node().equals(view.leader()) ? " (leader)" : "");
      out.printf("%-44s %-9s %-11s %s%s%n",
          m.node(), m.status(), view.isUnreachable(m.hostPort()) ? "no" : "yes", String.join(",", m.roles()), flags);
    }
  }
}
