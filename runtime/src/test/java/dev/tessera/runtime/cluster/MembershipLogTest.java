package dev.tessera.runtime.cluster;

import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.Test;

class MembershipLogTest {

  @Test
  void logsAMemberComingUpWithItsRoles() {
    ActorTestKit testKit = ActorTestKit.create(
        "MembershipLog",
        ConfigFactory.parseString(
                "pekko.actor.provider = cluster\n"
                    + "pekko.remote.artery.canonical.hostname = 127.0.0.1\n"
                    + "pekko.remote.artery.canonical.port = 0\n"
                    + "pekko.cluster.roles = [gpu, worker]\n")
            .withFallback(ConfigFactory.load()));
    try {
      Cluster cluster = Cluster.get(testKit.system());
      String self = cluster.selfMember().address().toString();

      LoggingTestKit.info("member " + self + " is Up [gpu, worker]")
          .expect(testKit.system(), () -> {
            testKit.spawn(MembershipLog.create());
            cluster.manager().tell(Join.create(cluster.selfMember().address()));
            return null;
          });
    } finally {
      testKit.shutdownTestKit();
    }
  }
}
