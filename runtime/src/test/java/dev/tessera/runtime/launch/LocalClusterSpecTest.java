package dev.tessera.runtime.launch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.runtime.cluster.MembersView;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What each node of a local cluster is started with. */
class LocalClusterSpecTest {

  private final LocalCluster.Spec spec = LocalCluster.Spec.of(3, 25520, 8560, Path.of("logs"));

  private static String rolesArgument(List<String> arguments) {
    return arguments.get(arguments.indexOf("--roles") + 1);
  }

  @Test
  void everyNodeHasTheSpecsRolesUnlessGivenRolesOfItsOwn() {
    assertThat(rolesArgument(spec.nodeArguments(2, false))).isEqualTo("worker");

    LocalCluster.Spec staged = spec.withExtraRoles(List.of(List.of("parse"), List.of("count", "worker"), List.of()));
    assertThat(rolesArgument(staged.nodeArguments(1, true))).isEqualTo("worker,parse");
    assertThat(rolesArgument(staged.nodeArguments(2, false))).isEqualTo("worker,count");
    assertThat(rolesArgument(staged.nodeArguments(3, false))).isEqualTo("worker");
    // The other settings stay.
    assertThat(staged.withRoles(List.of("gpu")).roles(1)).containsExactly("gpu", "parse");
    assertThat(staged.withExtraNodeArguments(List.of("--x")).extraRoles()).isEqualTo(staged.extraRoles());
  }

  @Test
  void theSeedsAreTheFirstTwoNodesAsAListAndAsAFlagsValue() {
    assertThat(spec.seedList()).containsExactly("127.0.0.1:25520", "127.0.0.1:25521");
    assertThat(spec.seeds()).isEqualTo("127.0.0.1:25520,127.0.0.1:25521");
    assertThat(LocalCluster.Spec.of(1, 25520, 8560, Path.of("logs")).seedList()).containsExactly("127.0.0.1:25520");
  }

  @Test
  void extraRolesMustNameEveryNode() {
    assertThatThrownBy(() -> spec.withExtraRoles(List.of(List.of("parse"))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("every node (3), got 1");
  }

  @Test
  void theClusterIsUpWhenEachOfItsNodesIsNotWhenAnyThreeMembersAre() {
    MembersView.Member client = new MembersView.Member("pekko://tessera@127.0.0.1:40001", "Up", List.of("client"));
    MembersView.Member node1 = new MembersView.Member("pekko://tessera@" + spec.host(1) + ":25520", "Up", List.of());
    MembersView.Member node2 = new MembersView.Member("pekko://tessera@" + spec.host(2) + ":25521", "Up", List.of());
    MembersView.Member node3Joining = new MembersView.Member("pekko://tessera@" + spec.host(3) + ":25522", "Joining", List.of());
    MembersView.Member node3 = new MembersView.Member("pekko://tessera@" + spec.host(3) + ":25522", "Up", List.of());

    // Three members Up, one of them a client that joined early: not yet.
    assertThat(LocalCluster.allUp(spec, view(client, node1, node2, node3Joining))).isFalse();
    assertThat(LocalCluster.allUp(spec, view(node1, node2))).isFalse();
    assertThat(LocalCluster.allUp(spec, view(client, node1, node2, node3))).isTrue();
  }

  private static MembersView view(MembersView.Member... members) {
    return new MembersView(members[0].node(), List.of(members), List.of(), members[0].node());
  }
}
