package dev.tessera.runtime.dashboard;

import dev.tessera.runtime.cluster.MembersView;
import dev.tessera.runtime.metrics.NodeMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * One per node: twice a second it publishes the node's {@link NodeReport} on the {@code
 * tessera-dashboard} topic and keeps every member's latest; it turns the membership changes this
 * node sees into timeline events (unreachable, reachable again, downed, removed, joined: with how
 * long each fault lasted); and it answers {@link GetState} with the whole view ({@link
 * DashboardState}). Membership events stay local (every node sees them); coordinators' events
 * travel in the reports.
 */
public final class DashboardActor extends AbstractBehavior<DashboardActor.Command> {

  /** How often a node reports. */
  static final Duration REPORT_INTERVAL = Duration.ofMillis(500);
  /** How long a removed member stays on the page. */
  static final Duration REMOVED_KEPT = Duration.ofMinutes(10);

  public sealed interface Command {}

  /** Answers with the dashboard's view now. */
  public record GetState(ActorRef<DashboardState> replyTo) implements Command {}

  private enum Tick implements Command {
    INSTANCE
  }

  private record Received(NodeReport report) implements Command {}

  private record MemberChanged(ClusterEvent.MemberEvent event) implements Command {}

  private record ReachabilityChanged(ClusterEvent.ReachabilityEvent event) implements Command {}

  private final ActorRef<Topic.Command<NodeReport>> topic;
  private final NodeReports reports;
  private final String self;
  private final Map<String, NodeReport> latest = new LinkedHashMap<>();
  private final Map<String, Long> removedAt = new HashMap<>();
  private final Map<String, Member> removedMembers = new HashMap<>();
  /** A member unreachable now: its timeline event, and since when. */
  private record Unreachable(String eventId, long sinceMillis) {}

  private final Map<String, Unreachable> unreachable = new HashMap<>();
  private final Set<String> everUp = new java.util.HashSet<>();
  private final JobBoard membershipTimeline;

  public static Behavior<Command> create() {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> new DashboardActor(context, timers)));
  }

  private DashboardActor(ActorContext<Command> context, TimerScheduler<Command> timers) {
    super(context);
    this.self = context.getSystem().address().toString();
    this.reports = new NodeReports(self, NodeMetrics.get(context.getSystem()).registry(), JobBoard.get(context.getSystem()));
    // The membership events this node sees: a board of its own, never published.
    this.membershipTimeline = new JobBoard(self);
    this.topic = context.spawn(Topic.create(NodeReport.class, "tessera-dashboard"), "topic");
    topic.tell(Topic.subscribe(context.messageAdapter(NodeReport.class, Received::new)));
    Cluster cluster = Cluster.get(context.getSystem());
    cluster.subscriptions().tell(Subscribe.create(
        context.messageAdapter(ClusterEvent.MemberEvent.class, MemberChanged::new), ClusterEvent.MemberEvent.class));
    cluster.subscriptions().tell(Subscribe.create(
        context.messageAdapter(ClusterEvent.ReachabilityEvent.class, ReachabilityChanged::new),
        ClusterEvent.ReachabilityEvent.class));
    timers.startTimerWithFixedDelay(Tick.INSTANCE, REPORT_INTERVAL);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessageEquals(Tick.INSTANCE, this::onTick)
        .onMessage(Received.class, r -> {
          latest.put(r.report().node(), r.report());
          return this;
        })
        .onMessage(MemberChanged.class, m -> onMember(m.event()))
        .onMessage(ReachabilityChanged.class, r -> onReachability(r.event()))
        .onMessage(GetState.class, g -> {
          g.replyTo().tell(state());
          return this;
        })
        .build();
  }

  private Behavior<Command> onTick() {
    NodeReport report = reports.next();
    latest.put(self, report);
    topic.tell(Topic.publish(report));
    long now = System.currentTimeMillis();
    removedAt.entrySet().removeIf(e -> {
      boolean old = now - e.getValue() > REMOVED_KEPT.toMillis();
      if (old) {
        removedMembers.remove(e.getKey());
      }
      return old;
    });
    return this;
  }

  private Behavior<Command> onReachability(ClusterEvent.ReachabilityEvent event) {
    String node = event.member().address().toString();
    if (event instanceof ClusterEvent.UnreachableMember) {
      if (!unreachable.containsKey(node)) {
        String id = membershipTimeline.event("unreachable", node, "node " + node + " unreachable", -1);
        unreachable.put(node, new Unreachable(id, System.currentTimeMillis()));
      }
    } else if (event instanceof ClusterEvent.ReachableMember) {
      healed(node, "reachable again");
    }
    return this;
  }

  private Behavior<Command> onMember(ClusterEvent.MemberEvent event) {
    Member member = event.member();
    String node = member.address().toString();
    if (event instanceof ClusterEvent.MemberUp || event instanceof ClusterEvent.MemberWeaklyUp) {
      String hostPort = hostPort(node);
      boolean again = everUp.stream().anyMatch(a -> hostPort(a).equals(hostPort) && !a.equals(node)) || everUp.contains(node);
      if (everUp.add(node) || again) {
        membershipTimeline.event("joined", node, "node " + node + (again ? " rejoined" : " joined") + " with roles "
            + MembersView.userRoles(member.getRoles()), -1);
      }
      removedAt.remove(node);
      removedMembers.remove(node);
    } else if (event instanceof ClusterEvent.MemberDowned) {
      Unreachable since = unreachable.get(node);
      membershipTimeline.event("downed", node, "node " + node + " downed"
          + (since == null ? "" : String.format(" %.1f s after it became unreachable",
              (System.currentTimeMillis() - since.sinceMillis()) / 1000.0)), -1);
    } else if (event instanceof ClusterEvent.MemberRemoved removed) {
      membershipTimeline.event("removed", node, "node " + node + " removed from the cluster (was "
          + removed.previousStatus() + ")", -1);
      healed(node, "removed; the cluster went on without it");
      removedAt.put(node, System.currentTimeMillis());
      removedMembers.put(node, member);
      latest.remove(node);
    }
    return this;
  }

  /** The node's unreachability ended (reachable again, or removed): its event gets its recovery time. */
  private void healed(String node, String how) {
    Unreachable since = unreachable.remove(node);
    if (since != null) {
      long millis = System.currentTimeMillis() - since.sinceMillis();
      membershipTimeline.recovered(since.eventId(),
          String.format("node %s unreachable; %s after %.1f s", node, how, millis / 1000.0), millis);
    }
  }

  private static String hostPort(String address) {
    int at = address.indexOf('@');
    return at < 0 ? address : address.substring(at + 1);
  }

  private DashboardState state() {
    long now = System.currentTimeMillis();
    org.apache.pekko.cluster.ClusterEvent.CurrentClusterState cluster =
        org.apache.pekko.cluster.Cluster.get(getContext().getSystem().classicSystem()).state();
    Set<Member> unreachableMembers = cluster.getUnreachable();
    List<DashboardState.MemberRow> members = new ArrayList<>();
    for (Member m : cluster.getMembers()) {
      members.add(new DashboardState.MemberRow(m.address().toString(), MembersView.userRoles(m.getRoles()),
          m.status().toString(), !unreachableMembers.contains(m)));
    }
    removedMembers.forEach((address, m) -> members.add(
        new DashboardState.MemberRow(address, MembersView.userRoles(m.getRoles()), "Removed", false)));
    List<DashboardState.NodeRow> nodes = new ArrayList<>();
    List<NodeReport.JobRow> jobs = new ArrayList<>();
    List<DashboardState.GpuView> gpus = new ArrayList<>();
    Map<String, NodeReport.TimelineEvent> events = new LinkedHashMap<>();
    membershipTimeline.events().forEach(e -> events.put(e.id(), e));
    for (NodeReport r : latest.values()) {
      nodes.add(new DashboardState.NodeRow(r.node(), r.tasksPerSecond(), r.tasksRun(), r.busySlots(), r.slots(),
          Math.max(0, now - r.atMillis())));
      jobs.addAll(r.jobs());
      r.gpus().forEach(g -> gpus.add(new DashboardState.GpuView(r.node(), g)));
      r.events().forEach(e -> events.put(e.id(), e));
    }
    // A job whose coordinator moved is reported by two nodes for a while: the running one wins.
    Map<String, NodeReport.JobRow> byJob = new LinkedHashMap<>();
    for (NodeReport.JobRow j : jobs) {
      byJob.merge(j.jobId(), j, (a, b) -> a.state().equals("running") ? a : b);
    }
    List<NodeReport.TimelineEvent> timeline = events.values().stream()
        .sorted(Comparator.comparingLong(NodeReport.TimelineEvent::atMillis)).collect(Collectors.toList());
    if (timeline.size() > 200) {
      timeline = timeline.subList(timeline.size() - 200, timeline.size());
    }
    nodes.sort(Comparator.comparing(DashboardState.NodeRow::node));
    members.sort(Comparator.comparing(DashboardState.MemberRow::address));
    return new DashboardState(self, now, members, nodes, new ArrayList<>(byJob.values()), gpus, timeline);
  }
}
