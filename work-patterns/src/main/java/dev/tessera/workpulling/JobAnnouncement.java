package dev.tessera.workpulling;

import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Tells each task worker on a node with the job's required role about the job, once: the workers
 * there when the job starts, and those that appear later (a node joining, a restarted node).
 *
 * <p>Threading: not thread-safe; used by the one actor that receives the receptionist listings.
 */
public final class JobAnnouncement {

  /** What {@code pekko.actor.provider = cluster} resolves to. */
  private static final String CLUSTER_PROVIDER = "org.apache.pekko.cluster.ClusterActorRefProvider";

  private final WorkerMessage.WorkOn workOn;
  private final Set<ActorRef<WorkerMessage>> announced = new HashSet<>();

  public JobAnnouncement(WorkerMessage.WorkOn workOn) {
    this.workOn = Objects.requireNonNull(workOn, "workOn");
  }

  /** Announces the job to the workers of {@code current} not yet told, and forgets those gone. */
  public void announceTo(Set<ActorRef<WorkerMessage>> current, ActorSystem<?> system) {
    for (ActorRef<WorkerMessage> worker : current) {
      // The cluster is looked up only when there is a worker: a job on a non-cluster system has none.
      if (!announced.contains(worker) && hasRequiredRole(worker, Cluster.get(system))) {
        announced.add(worker);
        worker.tell(workOn);
      }
    }
    announced.retainAll(current);
  }

  /**
   * Whether some member of the cluster, in state Up or WeaklyUp, has {@code role}, as this node
   * sees it. Always true on an actor system that is not a cluster node: there, roles place no work.
   */
  public static boolean clusterHasRole(ActorSystem<?> system, String role) {
    Objects.requireNonNull(role, "role");
    if (!CLUSTER_PROVIDER.equals(system.settings().classicSettings().ProviderClass())) {
      return true;
    }
    for (Member member : Cluster.get(system).state().getMembers()) {
      MemberStatus status = member.status();
      if ((status == MemberStatus.up() || status == MemberStatus.weaklyUp()) && member.hasRole(role)) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code system} is a cluster node ({@code pekko.actor.provider = cluster}). */
  public static boolean isClusterNode(ActorSystem<?> system) {
    return CLUSTER_PROVIDER.equals(system.settings().classicSettings().ProviderClass());
  }

  /** Whether this node has {@code role}; true on an actor system that is not a cluster node. */
  public static boolean thisNodeHasRole(ActorSystem<?> system, String role) {
    if (!CLUSTER_PROVIDER.equals(system.settings().classicSettings().ProviderClass())) {
      return true;
    }
    return Cluster.get(system).selfMember().hasRole(role);
  }

  /**
   * Whether a coordinator may lease tasks to {@code worker}: its node is Up or WeaklyUp in this
   * node's view of the cluster (not Joining, Leaving, Exiting, Down or Removed). Always true on an
   * actor system that is not a cluster node.
   */
  public static boolean nodeIsUp(ActorSystem<?> system, ActorRef<WorkerMessage> worker) {
    if (!CLUSTER_PROVIDER.equals(system.settings().classicSettings().ProviderClass())) {
      return true;
    }
    Cluster cluster = Cluster.get(system);
    Address address = worker.path().address();
    if (!address.hasGlobalScope()) {
      return isUp(cluster.selfMember().status());
    }
    for (Member member : cluster.state().getMembers()) {
      if (member.address().equals(address)) {
        return isUp(member.status());
      }
    }
    return false;
  }

  private static boolean isUp(MemberStatus status) {
    return status == MemberStatus.up() || status == MemberStatus.weaklyUp();
  }

  /**
   * False only for a worker whose node this node knows to lack the job's role. A worker on a node
   * not in this node's view yet (the receptionist can list a restarted node's worker before this
   * node's membership shows it) is told too: skipping it would leave it out of the job until the
   * listing changed again, and the worker checks the role itself ({@link TaskWorker}).
   */
  private boolean hasRequiredRole(ActorRef<WorkerMessage> worker, Cluster cluster) {
    String role = workOn.options().requiredRole();
    Address address = worker.path().address();
    if (!address.hasGlobalScope()) {
      return cluster.selfMember().hasRole(role);
    }
    for (Member member : cluster.state().getMembers()) {
      if (member.address().equals(address)) {
        return member.hasRole(role);
      }
    }
    return true;
  }
}
