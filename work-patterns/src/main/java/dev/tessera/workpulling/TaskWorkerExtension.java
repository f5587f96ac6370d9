package dev.tessera.workpulling;

import com.typesafe.config.Config;
import dev.tessera.runtime.job.TaskRegistry;
import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.runtime.node.NodeExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import org.apache.pekko.actor.typed.Props;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts a {@link TaskWorker} on every node with the worker role ({@code
 * tessera.work-pulling.worker.role}), with the handlers of every {@link TaskLibrary} on the classpath
 * (each given the node's actor system).
 *
 * <pre>{@code
 * # application.conf of a worker node: 8 task threads instead of one per core, results up to 512 KiB
 * tessera.work-pulling.worker { capacity = 8, max-result-bytes = 512k }
 * }</pre>
 */
public final class TaskWorkerExtension implements NodeExtension {

  private static final Logger log = LoggerFactory.getLogger(TaskWorkerExtension.class);

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
    long maxResultBytes = config.getBytes("max-result-bytes");
    TaskRegistry.Builder builder = TaskRegistry.builder();
    List<String> libraries = new ArrayList<>();
    for (TaskLibrary library : ServiceLoader.load(TaskLibrary.class)) {
      library.register(builder, node.system());
      libraries.add(library.getClass().getName());
    }
    node.system().systemActorOf(
        TaskWorker.create(builder.build(), capacity, (int) Math.min(Integer.MAX_VALUE, maxResultBytes)),
        "task-worker",
        Props.empty());
    log.info("task worker started: {} threads, task libraries {}", capacity, libraries);
  }
}
