package dev.tessera.cli;

import dev.tessera.cli.hosts.ClusterDeployment;
import dev.tessera.cli.hosts.HostsFile;
import dev.tessera.runtime.launch.ExitCodes;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

/** {@code tessera logs HOST --hosts FILE}: the last lines of that host's node log (its file, or systemd's journal). */
@Command(name = "logs", mixinStandardHelpOptions = true, description = "Print the end of a host's node log, over SSH.")
final class LogsCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin HostsOptions hosts;

  @Parameters(paramLabel = "HOST", description = "The host, by its name or address in the hosts file.")
  String host;

  @Option(names = {"-n", "--lines"}, paramLabel = "N", defaultValue = "100", description = "How many lines (default ${DEFAULT-VALUE}).")
  int lines;

  @Override
  public Integer call() throws IOException, InterruptedException {
    HostsFile file = hosts.read(spec);
    List<HostsFile.Host> matching = file.named(host);
    if (matching.isEmpty()) {
      throw new CommandLine.ParameterException(spec.commandLine(), "no host " + host + " in " + file.file());
    }
    try (ClusterDeployment cluster = new ClusterDeployment(file, hosts.certsDir(), false, System.err)) {
      for (HostsFile.Host h : matching) {
        if (!cluster.runStep(h, n -> {
          n.probe();
          System.out.print(n.logs(Math.max(1, lines)));
        })) {
          return ExitCodes.CLUSTER_INCOMPLETE;
        }
      }
    }
    return ExitCodes.OK;
  }
}
