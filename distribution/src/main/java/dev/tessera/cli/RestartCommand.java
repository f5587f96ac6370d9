package dev.tessera.cli;

import dev.tessera.cli.hosts.ClusterDeployment;
import dev.tessera.cli.hosts.HostsFile;
import dev.tessera.runtime.launch.ExitCodes;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code tessera restart --rolling --hosts FILE}: installs what changed (archive, config, keys) on
 * every host, then restarts the nodes one at a time, workers first and primaries last: each is
 * drained (SIGTERM: its running tasks finish, the rest are handed back), started again, and
 * ready before the next one stops, so a running job loses no task.
 */
@Command(
    name = "restart",
    mixinStandardHelpOptions = true,
    description = "Restart the nodes of a hosts file, applying a new archive or config; --rolling: one at a time, each drained first.")
final class RestartCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin HostsOptions hosts;

  @Option(names = "--rolling", required = true, description = "One node at a time, each drained and ready again before the next (the only mode).")
  boolean rolling;

  @Mixin InstallOptions install;

  @Override
  public Integer call() throws IOException, InterruptedException {
    HostsFile file = hosts.read(spec);
    Path chosen = install.archive(spec);
    String hash = ClusterDeployment.sha256(chosen);
    try (ClusterDeployment cluster = new ClusterDeployment(file, hosts.certsDir(), install.insecurePlaintext, System.out)) {
      cluster.onEveryHost(cluster::probe);
      cluster.issueCertificates();
      cluster.onEveryHost(node -> cluster.prepare(node, chosen, hash));
      List<HostsFile.Host> order = new ArrayList<>(cluster.healthy().stream().filter(h -> !h.isPrimary()).toList());
      order.addAll(cluster.healthy().stream().filter(HostsFile.Host::isPrimary).toList());
      Map<HostsFile.Host, Double> ready = new LinkedHashMap<>();
      for (HostsFile.Host host : order) {
        boolean restarted = cluster.runStep(host, node -> {
          String how = node.stop(ClusterDeployment.STOP_GRACE);
          cluster.say(host.label() + ": " + (how.equals("killed") ? "killed (had not drained within "
              + ClusterDeployment.STOP_GRACE.toSeconds() + " s)" : how.equals("none") ? "was not running" : "drained and stopped"));
          // The others run: it joins them, and cannot form a cluster of its own (RemoteNode.start).
          List<String> others = order.stream().filter(h -> !h.equals(host))
              .map(h -> h.address() + ":" + h.get("cluster-port")).toList();
          node.start(others);
          cluster.markApplied(node);
          cluster.say(host.label() + ": started again");
        });
        if (!restarted) {
          continue;
        }
        ready.putAll(cluster.awaitReady(List.of(host), Duration.ofSeconds(install.timeoutSeconds)));
        if (!ready.containsKey(host)) {
          cluster.say("stopping the rolling restart: " + host.label() + " did not come back (the others keep running)");
          break;
        }
      }
      return UpCommand.summary(cluster, ready);
    }
  }
}
