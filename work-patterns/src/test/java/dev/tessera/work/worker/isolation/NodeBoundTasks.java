package dev.tessera.work.worker.isolation;

import dev.tessera.runtime.job.TaskLibrary;
import dev.tessera.runtime.job.TaskRegistry;
import dev.tessera.runtime.job.TaskType;
import org.apache.pekko.actor.typed.ActorSystem;

/** A library that needs the node's actor system, so its type cannot run in an isolated child JVM. */
public final class NodeBoundTasks implements TaskLibrary {

  public static final TaskType<Integer, String> ADDRESS = TaskType.of("isolation-test.address", Integer.class, String.class).isolated();

  @Override
  public void register(TaskRegistry.Builder registry, ActorSystem<?> system) {
    registry.register(ADDRESS, ignored -> system.address().toString());
  }
}
