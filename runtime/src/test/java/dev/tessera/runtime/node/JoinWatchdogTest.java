package dev.tessera.runtime.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.Leave;
import org.junit.jupiter.api.Test;

class JoinWatchdogTest {

  private static Config clusterConfig(String seedNodes) {
    return ConfigFactory.parseString(
            "pekko.actor.provider = cluster\n"
                + "pekko.remote.artery.canonical.hostname = 127.0.0.1\n"
                + "pekko.remote.artery.canonical.port = 0\n"
                + "pekko.cluster.seed-nodes = " + seedNodes + "\n"
                + "pekko.cluster.seed-node-timeout = 500ms\n"
                + "pekko.cluster.retry-unsuccessful-join-after = 500ms\n"
                + "pekko.actor.serialize-messages = on\n")
        .withFallback(ConfigFactory.load());
  }

  private static int unusedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  @Test
  void reportsJoinedOnceTheNodeIsUp() {
    ActorTestKit testKit = ActorTestKit.create("JoinWatchdogJoined", clusterConfig("[]"));
    try {
      TestProbe<JoinWatchdog.Outcome> outcome = testKit.createTestProbe();
      testKit.spawn(JoinWatchdog.create(List.of(), Duration.ofSeconds(20), Duration.ofSeconds(5), outcome.getRef()));
      Cluster cluster = Cluster.get(testKit.system());

      cluster.manager().tell(Join.create(cluster.selfMember().address()));

      JoinWatchdog.Joined joined = outcome.expectMessageClass(JoinWatchdog.Joined.class, Duration.ofSeconds(15));
      assertThat(joined.self()).isEqualTo(cluster.selfMember().address());
      outcome.expectNoMessage(Duration.ofMillis(300));
    } finally {
      testKit.shutdownTestKit();
    }
  }

  @Test
  void logsWhileWaitingAndGivesUpWhenNoSeedAnswers() throws IOException {
    int deadPort = unusedPort();
    ActorTestKit testKit = ActorTestKit.create(
        "JoinWatchdogGiveUp", clusterConfig("[\"pekko://JoinWatchdogGiveUp@127.0.0.1:" + deadPort + "\"]"));
    try {
      TestProbe<JoinWatchdog.Outcome> outcome = testKit.createTestProbe();
      SeedAddress seed = new SeedAddress("127.0.0.1", deadPort);

      LoggingTestKit.warn("still trying seed nodes [127.0.0.1:" + deadPort + "]")
          .withOccurrences(2)
          .expect(testKit.system(), () ->
              testKit.spawn(JoinWatchdog.create(
                  List.of(seed), Duration.ofMillis(1500), Duration.ofMillis(400), outcome.getRef())));

      JoinWatchdog.GaveUp gaveUp = outcome.expectMessageClass(JoinWatchdog.GaveUp.class, Duration.ofSeconds(10));
      assertThat(gaveUp.seeds()).containsExactly(seed);
      assertThat(gaveUp.after()).isGreaterThanOrEqualTo(Duration.ofMillis(1500));
      outcome.expectNoMessage(Duration.ofMillis(500));
    } finally {
      testKit.shutdownTestKit();
    }
  }

  @Test
  void stopsWaitingOnceTheNodeLeavesBeforeItWasUp() {
    // With two members required, the leader keeps this lone node Joining: it never gets Up.
    ActorTestKit testKit = ActorTestKit.create("JoinWatchdogLeaving",
        ConfigFactory.parseString("pekko.cluster.min-nr-of-members = 2").withFallback(clusterConfig("[]")));
    try {
      TestProbe<JoinWatchdog.Outcome> outcome = testKit.createTestProbe();
      Cluster cluster = Cluster.get(testKit.system());
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
      ActorRef<JoinWatchdog.Command> watchdog = testKit.spawn(
          JoinWatchdog.create(List.of(), Duration.ofSeconds(20), Duration.ofMillis(300), outcome.getRef()));
      LoggingTestKit.warn("(status Joining): still trying seed nodes").expect(testKit.system(), () -> null);

      LoggingTestKit.info("the node is Leaving before it was Up: no longer waiting to join")
          .expect(testKit.system(), () -> {
            cluster.manager().tell(Leave.create(cluster.selfMember().address()));
            return null;
          });

      testKit.createTestProbe().expectTerminated(watchdog, Duration.ofSeconds(5));
      outcome.expectNoMessage(Duration.ofMillis(300));
    } finally {
      testKit.shutdownTestKit();
    }
  }
}
