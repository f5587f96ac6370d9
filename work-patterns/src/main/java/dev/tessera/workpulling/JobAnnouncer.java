package dev.tessera.workpulling;

import dev.tessera.runtime.job.JobOptions;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Tells every task worker on a node with the job's required role about the job, including workers
 * that appear while it runs (a node joining, a restarted node), and completes the job's future
 * with the coordinator's report.
 *
 * <p>Threading: an actor; the future is completed from its message handling.
 */
final class JobAnnouncer extends AbstractBehavior<JobAnnouncer.Command> {

  sealed interface Command {}

  private record WorkersChanged(Receptionist.Listing listing) implements Command {}

  private record Finished(JobReport report) implements Command {}

  private final String jobId;
  private final String taskType;
  private final JobOptions options;
  private final ActorRef<JobCoordinator.Command> coordinator;
  private final CompletableFuture<JobReport> report;
  private final Set<ActorRef<WorkerMessage>> announced = new HashSet<>();

  /**
   * @param coordinatorFactory builds the coordinator, given where its report must go
   */
  static Behavior<Command> create(
      String jobId,
      String taskType,
      JobOptions options,
      java.util.function.Function<ActorRef<JobReport>, Behavior<JobCoordinator.Command>> coordinatorFactory,
      CompletableFuture<ActorRef<JobCoordinator.Command>> coordinatorRef,
      CompletableFuture<JobReport> report) {
    Objects.requireNonNull(report, "report");
    return Behaviors.setup(context -> {
      ActorRef<JobReport> reportTo = context.messageAdapter(JobReport.class, Finished::new);
      ActorRef<JobCoordinator.Command> coordinator = context.spawn(coordinatorFactory.apply(reportTo), "coordinator");
      coordinatorRef.complete(coordinator);
      return new JobAnnouncer(context, jobId, taskType, options, coordinator, report);
    });
  }

  private JobAnnouncer(
      ActorContext<Command> context,
      String jobId,
      String taskType,
      JobOptions options,
      ActorRef<JobCoordinator.Command> coordinator,
      CompletableFuture<JobReport> report) {
    super(context);
    context.setLoggerName(JobAnnouncer.class);
    this.jobId = jobId;
    this.taskType = taskType;
    this.options = options;
    this.coordinator = coordinator;
    this.report = report;
    ActorRef<Receptionist.Listing> listings = context.messageAdapter(Receptionist.Listing.class, WorkersChanged::new);
    context.getSystem().receptionist().tell(Receptionist.subscribe(TaskWorker.SERVICE_KEY, listings));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(WorkersChanged.class, this::onWorkersChanged)
        .onMessage(Finished.class, this::onFinished)
        .build();
  }

  private Behavior<Command> onWorkersChanged(WorkersChanged changed) {
    Set<ActorRef<WorkerMessage>> current = changed.listing().getServiceInstances(TaskWorker.SERVICE_KEY);
    for (ActorRef<WorkerMessage> worker : current) {
      if (!announced.contains(worker) && hasRequiredRole(worker)) {
        announced.add(worker);
        worker.tell(new WorkerMessage.WorkOn(jobId, taskType, coordinator, options));
      }
    }
    announced.retainAll(current);
    return this;
  }

  private boolean hasRequiredRole(ActorRef<WorkerMessage> worker) {
    Address address = worker.path().address();
    Cluster cluster = Cluster.get(getContext().getSystem());
    if (!address.hasGlobalScope()) {
      return cluster.selfMember().hasRole(options.requiredRole());
    }
    for (Member member : cluster.state().getMembers()) {
      if (member.address().equals(address)) {
        return member.hasRole(options.requiredRole());
      }
    }
    return false;
  }

  private Behavior<Command> onFinished(Finished finished) {
    report.complete(finished.report());
    return Behaviors.stopped();
  }
}
