package dev.tessera.runtime.data;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.runtime.node.NodeConfigLoader;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.cluster.MemberStatus;
import org.junit.jupiter.api.Test;

/**
 * Three nodes in one JVM (a real cluster over loopback): an object put with two replicas is still
 * read, from its replica, after the node that made it is gone.
 */
class ReplicatedObjectTest {

  private static ComputeNode node(List<String> seeds) {
    return ComputeNode.start(NodeConfigLoader.load(Optional.empty(), Map.of(
        "tessera.node.port", 0,
        "tessera.node.management.enabled", false,
        "tessera.node.roles", List.of("worker"),
        "tessera.node.seeds", seeds,
        "pekko.actor.serialize-messages", "on",
        "pekko.cluster.jmx.multi-mbeans-in-same-jvm", "on",
        "tessera.data.connect-timeout", "2s")));
  }

  private static void await(String what, Duration limit, java.util.concurrent.Callable<Boolean> condition)
      throws Exception {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.call()) {
      assertThat(System.nanoTime()).as(what + " within " + limit).isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  @Test
  void aReplicatedObjectIsServedByItsReplicaOnceItsOwnerIsGone() throws Exception {
    ComputeNode owner = node(List.of());
    ComputeNode second = null;
    ComputeNode third = null;
    try {
      owner.whenUp().toCompletableFuture().get(30, TimeUnit.SECONDS);
      String seed = "127.0.0.1:" + owner.address().getPort().get();
      second = node(List.of(seed));
      third = node(List.of(seed));
      ComputeNode[] others = {second, third};
      await("3 members Up", Duration.ofSeconds(60),
          () -> owner.members().stream().filter(m -> m.status() == MemberStatus.up()).count() == 3);
      DataStore store = DataStore.get(owner.system());
      await("the owner knows the other stores", Duration.ofSeconds(30),
          () -> store.peers().toCompletableFuture().get(10, TimeUnit.SECONDS).size() == 2);

      byte[] bytes = new byte[3 << 20];
      new Random(42).nextBytes(bytes);
      DataRef<byte[]> ref = Data.put(owner.system(), bytes, 2).toCompletableFuture().get(30, TimeUnit.SECONDS);

      assertThat(ref.holders()).hasSize(2);
      assertThat(ref.owner()).isEqualTo(store.self());
      DataRef.Holder replica = ref.holders().get(1);
      ComputeNode replicaNode = DataStore.get(second.system()).self().equals(replica) ? second : third;
      ComputeNode reader = replicaNode == second ? third : second;
      assertThat(DataStore.get(replicaNode.system()).holds(ref.id())).isTrue();

      owner.close();

      assertThat(Data.get(reader.system(), ref).toCompletableFuture().get(30, TimeUnit.SECONDS)).isEqualTo(bytes);
      assertThat(others).contains(reader);
    } finally {
      owner.close();
      if (second != null) {
        second.close();
      }
      if (third != null) {
        third.close();
      }
    }
  }
}
