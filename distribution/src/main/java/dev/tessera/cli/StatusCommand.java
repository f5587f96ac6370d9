package dev.tessera.cli;

import dev.tessera.runtime.cluster.MembersClient;
import dev.tessera.runtime.cluster.MembersView;
import dev.tessera.runtime.launch.ExitCodes;
import dev.tessera.runtime.node.InvalidNodeSettingsException;
import dev.tessera.runtime.node.SeedAddress;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** {@code cluster status}: prints the members of a cluster as one of its nodes sees them. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = "Print the members of a cluster, their roles and state, as one node sees them.")
final class StatusCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = {"-n", "--node"},
      paramLabel = "HOST:PORT",
      defaultValue = "127.0.0.1:7626",
      description = "Management address of any node (its --http-port; default ${DEFAULT-VALUE}).")
  String node;

  @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "5", description = "Give up after this many seconds (default ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  @Override
  public Integer call() {
    SeedAddress address;
    try {
      address = SeedAddress.parse(node);
    } catch (InvalidNodeSettingsException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--node: '" + node + "' is not host:port");
    }
    MembersView view;
    try {
      view = new MembersClient(Duration.ofSeconds(Math.max(1, timeoutSeconds))).fetch(address.host(), address.port());
    } catch (ConnectException | HttpConnectTimeoutException e) {
      throw new CommandFailedException(
          ExitCodes.NODE_NOT_REACHABLE,
          "no node answers at " + address + " (is it running? --node takes the management port, 7626 by default)");
    } catch (IOException e) {
      throw new CommandFailedException(ExitCodes.NODE_NOT_REACHABLE, e.getMessage());
    }
    print(view, System.out);
    return ExitCodes.OK;
  }

  static void print(MembersView view, PrintStream out) {
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
