package dev.tessera.runtime.cluster;

import java.util.Objects;
import java.util.Optional;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Questions about this node's view of the cluster that place work: which members have a role, and
 * whether an actor's node is Up. On an actor system that is not a cluster node (a test, a service
 * running jobs in one JVM) roles place no work, and every answer is yes.
 *
 * <p>Thread safety: any thread; each call reads the cluster's current state.
 */
public final class ClusterRoles {

  /** What {@code pekko.actor.provider = cluster} resolves to. */
  private static final String CLUSTER_PROVIDER = "org.apache.pekko.cluster.ClusterActorRefProvider";

  private ClusterRoles() {}

  /** Whether {@code system} is a cluster node ({@code pekko.actor.provider = cluster}). */
  public static boolean isClusterNode(ActorSystem<?> system) {
    return CLUSTER_PROVIDER.equals(system.settings().classicSettings().ProviderClass());
  }

  /** Whether some member of the cluster, in state Up or WeaklyUp, has {@code role}, as this node sees it. */
  public static boolean clusterHasRole(ActorSystem<?> system, String role) {
    Objects.requireNonNull(role, "role");
    if (!isClusterNode(system)) {
      return true;
    }
    for (Member member : Cluster.get(system).state().getMembers()) {
      if (isUp(member.status()) && member.hasRole(role)) {
        return true;
      }
    }
    return false;
  }

  /** Whether this node has {@code role}. */
  public static boolean thisNodeHasRole(ActorSystem<?> system, String role) {
    if (!isClusterNode(system)) {
      return true;
    }
    return Cluster.get(system).selfMember().hasRole(role);
  }

  /**
   * Whether {@code actor}'s node is Up or WeaklyUp in this node's view of the cluster (not Joining,
   * Leaving, Exiting, Down or Removed).
   */
  public static boolean nodeIsUp(ActorSystem<?> system, ActorRef<?> actor) {
    if (!isClusterNode(system)) {
      return true;
    }
    return memberOf(Cluster.get(system), actor).map(member -> isUp(member.status())).orElse(false);
  }

  /**
   * False only for an actor whose node this node knows to lack {@code role}. An actor on a node not
   * in this node's view yet (the receptionist can list a restarted node's actor before this node's
   * membership shows it) counts as having it. True on an actor system that is not a cluster node.
   */
  public static boolean mayHaveRole(ActorSystem<?> system, ActorRef<?> actor, String role) {
    if (!isClusterNode(system)) {
      return true;
    }
    return memberOf(Cluster.get(system), actor).map(member -> member.hasRole(role)).orElse(true);
  }

  /**
   * True if the node at {@code address} ({@code Address.toString()}) is an Up member with {@code
   * role}, as this node sees the cluster. On an actor system that is not a cluster node: true for
   * its own address.
   */
  public static boolean nodeHasRole(ActorSystem<?> system, String address, String role) {
    if (!isClusterNode(system)) {
      return system.address().toString().equals(address);
    }
    for (Member member : Cluster.get(system).state().getMembers()) {
      if (member.address().toString().equals(address)) {
        return isUp(member.status()) && member.hasRole(role);
      }
    }
    return false;
  }

  /** The member {@code actor} lives on, as this node sees the cluster; empty if not in its view. */
  private static Optional<Member> memberOf(Cluster cluster, ActorRef<?> actor) {
    Address address = actor.path().address();
    if (!address.hasGlobalScope()) {
      return Optional.of(cluster.selfMember());
    }
    for (Member member : cluster.state().getMembers()) {
      if (member.address().equals(address)) {
        return Optional.of(member);
      }
    }
    return Optional.empty();
  }

  private static boolean isUp(MemberStatus status) {
    return status == MemberStatus.up() || status == MemberStatus.weaklyUp();
  }
}
