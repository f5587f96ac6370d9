package dev.tessera.cli;

import dev.tessera.runtime.cluster.ManagementAccess;
import dev.tessera.runtime.cluster.MembersClient;
import dev.tessera.runtime.cluster.MembersView;
import dev.tessera.runtime.launch.ExitCodes;
import dev.tessera.runtime.node.InvalidNodeSettingsException;
import dev.tessera.runtime.node.NetworkExposure;
import dev.tessera.runtime.node.SeedAddress;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import javax.net.ssl.SSLException;
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

  @Option(
      names = "--ca",
      paramLabel = "FILE",
      description = "The cluster CA's certificate (ca.pem of tessera certs init): ask over HTTPS, trusting only it. "
          + "For a management endpoint exposed off loopback.")
  Path ca;

  @Option(
      names = "--token-file",
      paramLabel = "FILE",
      description = "File whose first line is the management token (else TESSERA_MANAGEMENT_TOKEN). With --ca.")
  Path tokenFile;

  @Override
  public Integer call() {
    SeedAddress address;
    try {
      address = SeedAddress.parse(node);
    } catch (InvalidNodeSettingsException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--node: '" + node + "' is not host:port");
    }
    ManagementAccess access;
    try {
      if (ca == null && tokenFile != null) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "--token-file needs --ca: the token is sent only over HTTPS");
      }
      access = ca == null ? ManagementAccess.plain() : ManagementAccess.https(ca, ManagementAccess.token(Optional.ofNullable(tokenFile)));
    } catch (IOException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    MembersView view;
    try {
      view = new MembersClient(Duration.ofSeconds(Math.max(1, timeoutSeconds)), access).fetch(address.host(), address.port());
    } catch (ConnectException | HttpConnectTimeoutException e) {
      throw new CommandFailedException(
          ExitCodes.NODE_NOT_REACHABLE,
          "no node answers at " + address + " (is it running? --node takes the management port, 7626 by default)");
    } catch (SSLException e) {
      throw new CommandFailedException(ExitCodes.NODE_NOT_REACHABLE, "no HTTPS with " + address + ": " + e.getMessage()
          + " (without TLS, or on loopback, the endpoint speaks plain HTTP: leave out --ca; with it, --ca must be the "
          + "cluster's ca.pem)");
    } catch (IOException e) {
      throw new CommandFailedException(ExitCodes.NODE_NOT_REACHABLE, e.getMessage()
          + (ca == null && !NetworkExposure.isLoopback(address.host())
              ? " (an endpoint exposed off loopback speaks HTTPS: pass --ca ca.pem and --token-file)" : ""));
    }
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
