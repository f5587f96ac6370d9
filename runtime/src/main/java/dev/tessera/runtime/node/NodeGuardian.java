package dev.tessera.runtime.node;

import dev.tessera.runtime.cluster.ForeignNodeWatch;
import dev.tessera.runtime.cluster.MembershipLog;
import dev.tessera.runtime.logging.OncePerInterval;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;

/**
 * The root actor of a compute node: starts the node's own actors, joins the cluster, and shuts the
 * node down when joining fails for good.
 */
public final class NodeGuardian extends AbstractBehavior<NodeGuardian.Command> {

  /** Messages this actor handles; all are internal. */
  public sealed interface Command {}

  private record JoinFinished(JoinWatchdog.Outcome outcome) implements Command {}

  /** How long shutdown waits for the membership log to write its last events. */
  private static final Duration MEMBERSHIP_LOG_FLUSH = Duration.ofSeconds(2);

  /** The reason recorded with CoordinatedShutdown when the node gives up joining. */
  public enum JoinGaveUp implements CoordinatedShutdown.Reason {
    INSTANCE
  }

  private final CompletableFuture<JoinWatchdog.Outcome> joinOutcome;

  /**
   * @param seeds nodes to join through; empty makes this node join itself, forming a new cluster
   * @param joinTimeout give up joining (and shut down) after this long
   * @param retryLogInterval log progress this often while not yet a member
   * @param joinOutcome completed once with how joining ended
   */
  public static Behavior<Command> create(
      List<SeedAddress> seeds,
      Duration joinTimeout,
      Duration retryLogInterval,
      CompletableFuture<JoinWatchdog.Outcome> joinOutcome) {
    Objects.requireNonNull(joinOutcome, "joinOutcome");
    return Behaviors.setup(
        context -> new NodeGuardian(context, seeds, joinTimeout, retryLogInterval, joinOutcome));
  }

  private NodeGuardian(
      ActorContext<Command> context,
      List<SeedAddress> seeds,
      Duration joinTimeout,
      Duration retryLogInterval,
      CompletableFuture<JoinWatchdog.Outcome> joinOutcome) {
    super(context);
    context.setLoggerName(NodeGuardian.class);
    this.joinOutcome = joinOutcome;
    // Logging must never take the node down: restart it if it ever throws.
    ActorRef<MembershipLog.Command> membershipLog = context.spawn(
        Behaviors.supervise(MembershipLog.create()).onFailure(SupervisorStrategy.restart()),
        "membership-log");
    // The cluster publishes its last events (this node Removed) as it shuts down; an actor's stop
    // overtakes messages still in its mailbox, so the log is flushed before the actors stop.
    CoordinatedShutdown.get(context.getSystem()).addTask(
        CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "tessera-flush-membership-log",
        () -> AskPattern.<MembershipLog.Command, Done>ask(membershipLog, MembershipLog.Flush::new,
                MEMBERSHIP_LOG_FLUSH, context.getSystem().scheduler())
            .exceptionally(late -> Done.getInstance()));
    context.spawn(
        Behaviors.supervise(ForeignNodeWatch.create(OncePerInterval.perMinute()))
            .onFailure(SupervisorStrategy.restart()),
        ForeignNodeWatch.NAME);
    context.spawn(
        JoinWatchdog.create(
            seeds,
            joinTimeout,
            retryLogInterval,
            context.messageAdapter(JoinWatchdog.Outcome.class, JoinFinished::new)),
        "join-watchdog");
    if (seeds.isEmpty()) {
      Cluster cluster = Cluster.get(context.getSystem());
      context.getLog().info("no seed nodes given: {} starts a new cluster", cluster.selfMember().address());
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder().onMessage(JoinFinished.class, this::onJoinFinished).build();
  }

  private Behavior<Command> onJoinFinished(JoinFinished finished) {
    joinOutcome.complete(finished.outcome());
    if (finished.outcome() instanceof JoinWatchdog.GaveUp) {
      CoordinatedShutdown.get(getContext().getSystem()).runAll(JoinGaveUp.INSTANCE);
    }
    return this;
  }
}
