package dev.tessera.work.engine;

import dev.tessera.runtime.cluster.ClusterRoles;
import dev.tessera.work.protocol.WorkerMessage;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * Tells each task worker on a node with the job's required role about the job, once: the workers
 * there when the job starts, and those that appear later (a node joining, a restarted node). Every
 * coordinator announces its job through one of these, kept by its {@link CoordinatorCore}.
 *
 * <p>Threading: not thread-safe; used by the one actor that receives the receptionist's listings.
 */
final class WorkerAnnouncement {

  private final WorkerMessage.WorkOn workOn;
  private final ActorSystem<?> system;
  private final Set<ActorRef<WorkerMessage>> announced = new HashSet<>();

  private WorkerAnnouncement(WorkerMessage.WorkOn workOn, ActorSystem<?> system) {
    this.workOn = Objects.requireNonNull(workOn, "workOn");
    this.system = system;
  }

  /**
   * Subscribes {@code context}'s actor to the task workers' listing, which arrives as {@code
   * wrap} makes it; hand each one to {@link #workersChanged}.
   */
  static <C> WorkerAnnouncement subscribe(
      ActorContext<C> context, WorkerMessage.WorkOn workOn, Function<Receptionist.Listing, C> wrap) {
    WorkerAnnouncement announcement = new WorkerAnnouncement(workOn, context.getSystem());
    ActorRef<Receptionist.Listing> listings = context.messageAdapter(Receptionist.Listing.class, wrap::apply);
    context.getSystem().receptionist().tell(Receptionist.subscribe(WorkerMessage.SERVICE_KEY, listings));
    return announcement;
  }

  /** Announces the job to the listed workers not yet told, and forgets those gone. */
  void workersChanged(Receptionist.Listing listing) {
    Set<ActorRef<WorkerMessage>> current = listing.getServiceInstances(WorkerMessage.SERVICE_KEY);
    for (ActorRef<WorkerMessage> worker : current) {
      // A worker on a node not in this node's view yet is told too; it checks the role itself.
      if (!announced.contains(worker) && ClusterRoles.mayHaveRole(system, worker, workOn.options().requiredRole())) {
        announced.add(worker);
        worker.tell(workOn);
      }
    }
    announced.retainAll(current);
  }
}
