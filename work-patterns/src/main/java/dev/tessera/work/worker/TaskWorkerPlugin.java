package dev.tessera.work.worker;

import com.typesafe.config.Config;
import dev.tessera.runtime.job.TaskLibrary;
import dev.tessera.runtime.job.TaskRegistry;
import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.runtime.node.NodePlugin;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts a {@link TaskWorker} on every node with the worker role ({@code
 * tessera.work-pulling.worker.role}), with the handlers of every {@link TaskLibrary} on the classpath
 * (each given the node's actor system).
 *
 * <pre>{@code
 * # application.conf of a worker node: 8 task threads instead of one per core, results up to 512 KiB
 * tessera.work-pulling.worker { capacity = 8, inline-result-bytes = 32k }
 * }</pre>
 */
public final class TaskWorkerPlugin implements NodePlugin {

  private static final Logger log = LoggerFactory.getLogger(TaskWorkerPlugin.class);

  @Override
  public void start(ComputeNode node) {
    Config config = node.system().settings().config().getConfig("tessera.work-pulling.worker");
    String role = config.getString("role");
    if (!node.settings().roles().contains(role)) {
      return;
    }
    int configured = config.getInt("capacity");
    if (configured < 0) {
      throw new IllegalArgumentException("tessera.work-pulling.worker.capacity must be 0 or more, got " + configured);
    }
    int capacity = configured == 0 ? Runtime.getRuntime().availableProcessors() : configured;
    long inlineResultBytes = config.getBytes("inline-result-bytes");
    TaskRegistry.Builder builder = TaskRegistry.builder();
    List<String> libraries = new ArrayList<>();
    for (TaskLibrary library : ServiceLoader.load(TaskLibrary.class)) {
      library.register(builder, node.system());
      libraries.add(library.getClass().getName());
    }
    ActorRef<TaskWorker.Command> worker = node.system().systemActorOf(
        TaskWorker.create(builder.build(), capacity, (int) Math.min(Integer.MAX_VALUE, inlineResultBytes)),
        "task-worker",
        Props.empty());
    drainOnShutdown(node.system(), worker, node.system().settings().config().getDuration("tessera.node.drain-timeout"));
    dev.tessera.runtime.node.NodeReadiness.get(node.system()).registerStarted("task worker");
    log.info("task worker started: {} threads, task libraries {}", capacity, libraries);
  }

  /**
   * When the node leaves (SIGTERM, {@code cluster leave}, a handler calling {@code System.exit}), the
   * worker drains before anything else stops: it hands back the tasks it has not started, finishes
   * those it runs (for at most {@code timeout}) and delivers their outcomes. The phase runs before
   * sharding hands off and before the node leaves the cluster; its timeout is set a little above
   * {@code timeout} (PekkoNodeConfig).
   */
  static void drainOnShutdown(ActorSystem<?> system, ActorRef<TaskWorker.Command> worker, Duration timeout) {
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
    shutdown.addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "tessera-drain-task-worker", () -> {
      String why = "its node is shutting down (" + shutdown.getShutdownReason()
          .map(reason -> reason.getClass().getSimpleName().replace("$", "")).orElse("unknown reason") + ")";
      return AskPattern.<TaskWorker.Command, Done>ask(worker, reply -> new TaskWorker.Drain(why, timeout, reply),
          timeout.plusSeconds(1), system.scheduler()).exceptionally(timedOut -> Done.getInstance());
    });
  }
}
