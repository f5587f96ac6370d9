package dev.tessera.runtime.launch;

import com.typesafe.config.Config;
import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.runtime.node.NodeConfigLoader;
import dev.tessera.runtime.node.NodeGuardian;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one compute node in this process until it is stopped (Ctrl-C or SIGTERM make it leave the
 * cluster gracefully), gives up joining, or is downed: the body of a node process, whether {@link
 * NodeMain} or {@code cluster node} started it.
 *
 * <p>Threading: {@link #run} blocks the calling thread (a process's main thread) for the node's life.
 */
public final class NodeRunner {

  /** Returned when the JVM is already exiting (SIGTERM): main must not call System.exit again. */
  public static final int EXIT_ALREADY_UNDER_WAY = Integer.MIN_VALUE;

  private static final Logger log = LoggerFactory.getLogger(NodeRunner.class);

  private NodeRunner() {}

  /**
   * Starts a node with {@code options} and waits for it to stop.
   *
   * @return {@link ExitCodes#OK} once the node left gracefully, or {@link #EXIT_ALREADY_UNDER_WAY}
   * @throws dev.tessera.runtime.node.InvalidNodeSettingsException when the settings are invalid
   * @throws dev.tessera.runtime.node.NodeStartException when the node cannot start
   * @throws NodeStoppedException when it gave up joining, was downed, or stopped abnormally
   */
  public static int run(NodeOptions options) throws InterruptedException {
    Config loaded = NodeConfigLoader.load(options.config(), options.overrides());
    logJvm();
    Optional<ParentWatch> parent = options.parentPid().map(ParentWatch::start);
    ComputeNode node = ComputeNode.start(loaded);
    parent.ifPresent(watch -> watch.started(node));
    if (options.leaveWhenUp()) {
      node.whenUp().thenRun(node::leave);
    }
    node.whenUp()
        .thenAccept(
            address ->
                log.info(
                    "node {} is Up; `tessera status --node {}:{}` lists the members",
                    address,
                    node.settings().management().bindHost(),
                    node.settings().management().port()));
    CoordinatedShutdown.Reason reason;
    try {
      reason = node.whenTerminated().toCompletableFuture().get();
    } catch (ExecutionException e) {
      throw new NodeStoppedException(ExitCodes.FAILURE, "node stopped abnormally: " + e.getCause());
    }
    return exitCodeFor(reason, node);
  }

  /** What this JVM was given: {@code bin/tessera} chooses heap and collector by the machine. */
  private static void logJvm() {
    List<String> collectors = java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().stream()
        .map(java.lang.management.GarbageCollectorMXBean::getName)
        .toList();
    log.info("Java {} with a maximum heap of {} MiB, collectors {}, {} processors",
        Runtime.version(), Runtime.getRuntime().maxMemory() >> 20, collectors, Runtime.getRuntime().availableProcessors());
  }

  private static int exitCodeFor(CoordinatedShutdown.Reason reason, ComputeNode node) {
    if (reason == CoordinatedShutdown.jvmExitReason()) {
      return EXIT_ALREADY_UNDER_WAY;
    }
    if (reason == NodeGuardian.JoinGaveUp.INSTANCE) {
      List<String> refusals = node.joinRefusals();
      // Only where no seed said why is the network (or an absent seed) the likely cause.
      String why = refusals.isEmpty()
          ? " (are they running, and is " + node.settings().host() + " reachable from them?)"
          : ": " + String.join("; ", refusals);
      throw new NodeStoppedException(
          ExitCodes.JOIN_GAVE_UP,
          "could not join the cluster through seeds "
              + node.settings().seeds()
              + " within "
              + node.settings().join().timeout().toSeconds()
              + " s"
              + why);
    }
    if (reason == CoordinatedShutdown.clusterDowningReason()) {
      throw new NodeStoppedException(
          ExitCodes.DOWNED, "this node was downed by the cluster and stopped; restart it to rejoin");
    }
    return ExitCodes.OK;
  }
}
