package dev.tessera.runtime.cluster;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A cluster's membership as one node sees it, read from that node's management endpoint
 * ({@code GET /cluster/members}).
 *
 * @param selfNode the address of the node that answered
 * @param members every member, whatever its status
 * @param unreachable members that some node's failure detector currently suspects
 * @param leader the current leader, if any
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record MembersView(String selfNode, List<Member> members, List<Unreachable> unreachable, String leader) {

  public MembersView {
    Objects.requireNonNull(selfNode, "selfNode");
    members = members == null ? List.of() : List.copyOf(members);
    unreachable = unreachable == null ? List.of() : List.copyOf(unreachable);
  }

  /** One member: its address, status ({@code Joining}, {@code Up}, {@code Leaving}, ...) and roles. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Member(String node, String status, List<String> roles) {
    public Member {
      Objects.requireNonNull(node, "node");
      Objects.requireNonNull(status, "status");
      roles = roles == null ? List.of() : userRoles(roles);
    }

    /** {@code host:port} of the member's Pekko address. */
    public String hostPort() {
      int at = node.indexOf('@');
      return at < 0 ? node : node.substring(at + 1);
    }
  }

  /** A member that is suspected by the nodes listed in {@code observedBy}. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Unreachable(String node, List<String> observedBy) {
    public Unreachable {
      observedBy = observedBy == null ? List.of() : List.copyOf(observedBy);
    }
  }

  /** The roles a user gave a node, sorted, without Pekko's data-center pseudo roles ({@code dc-...}). */
  public static List<String> userRoles(java.util.Collection<String> roles) {
    return roles.stream().filter(r -> !r.startsWith("dc-")).sorted().toList();
  }

  /** The member whose {@code host:port} is given, if it is in the view. */
  public Optional<Member> member(String hostPort) {
    return members.stream().filter(m -> m.hostPort().equals(hostPort)).findFirst();
  }

  /** Number of members in {@code Up} state. */
  public long upCount() {
    return members.stream().filter(m -> m.status().equals("Up")).count();
  }

  /** Whether the member with this {@code host:port} is currently suspected. */
  public boolean isUnreachable(String hostPort) {
    return unreachable.stream().anyMatch(u -> u.node().endsWith("@" + hostPort));
  }
}
