package dev.tessera.runtime.cluster;

import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * Logs every membership and reachability change this node observes, one line each, so an operator
 * (or a chaos test reading a node's output) can follow a node joining, becoming unreachable, being
 * downed by the split brain resolver and being removed.
 */
public final class MembershipLog extends AbstractBehavior<MembershipLog.Command> {

  /** Messages this actor handles: cluster events, and {@link Flush}. */
  public sealed interface Command {}

  /**
   * Replies once every event received before it is logged. The node sends it while shutting down,
   * after the cluster has published its last events (this node's own removal among them), so the
   * node's log always ends with them instead of losing them to the actor system's stop.
   */
  public record Flush(ActorRef<Done> replyTo)
      implements Command, org.apache.pekko.actor.NoSerializationVerificationNeeded {} // local only

  private record MemberChanged(ClusterEvent.MemberEvent event) implements Command {}

  private record ReachabilityChanged(ClusterEvent.ReachabilityEvent event) implements Command {}

  public static Behavior<Command> create() {
    return Behaviors.setup(MembershipLog::new);
  }

  private MembershipLog(ActorContext<Command> context) {
    super(context);
    context.setLoggerName(MembershipLog.class);
    Cluster cluster = Cluster.get(context.getSystem());
    ActorRef<ClusterEvent.MemberEvent> members =
        context.messageAdapter(ClusterEvent.MemberEvent.class, MemberChanged::new);
    ActorRef<ClusterEvent.ReachabilityEvent> reachability =
        context.messageAdapter(ClusterEvent.ReachabilityEvent.class, ReachabilityChanged::new);
    cluster.subscriptions().tell(Subscribe.create(members, ClusterEvent.MemberEvent.class));
    cluster.subscriptions().tell(Subscribe.create(reachability, ClusterEvent.ReachabilityEvent.class));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(MemberChanged.class, this::onMemberChanged)
        .onMessage(ReachabilityChanged.class, this::onReachabilityChanged)
        .onMessage(Flush.class, flush -> {
          flush.replyTo().tell(Done.getInstance());
          return this;
        })
        .build();
  }

  private Behavior<Command> onMemberChanged(MemberChanged changed) {
    Member member = changed.event().member();
    getContext()
        .getLog()
        .info("member {} is {} {}", member.address(), describe(changed.event()), MembersView.userRoles(member.getRoles()));
    return this;
  }

  private Behavior<Command> onReachabilityChanged(ReachabilityChanged changed) {
    ClusterEvent.ReachabilityEvent event = changed.event();
    if (event instanceof ClusterEvent.UnreachableMember) {
      getContext().getLog().warn("member {} is unreachable", event.member().address());
    } else {
      getContext().getLog().info("member {} is reachable again", event.member().address());
    }
    return this;
  }

  /** The state the event moved the member to, as Pekko names it. */
  static String describe(ClusterEvent.MemberEvent event) {
    if (event instanceof ClusterEvent.MemberRemoved removed) {
      return "Removed (was " + removed.previousStatus() + ")";
    }
    return event.member().status().toString();
  }
}
