package dev.tessera.runtime.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.apache.pekko.actor.Props;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.sbr.KeepOldest;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.Test;
import scala.concurrent.duration.FiniteDuration;

class PromptDowningProviderTest {

  private static ActorTestKit node(String strategy) {
    return ActorTestKit.create(
        "PromptDowning",
        ConfigFactory.parseString(
                "pekko.actor.provider = cluster\n"
                    + "pekko.remote.artery.canonical.hostname = 127.0.0.1\n"
                    + "pekko.remote.artery.canonical.port = 0\n"
                    + "pekko.cluster.downing-provider-class = " + PromptDowningProvider.class.getName() + "\n"
                    + "pekko.cluster.split-brain-resolver.active-strategy = " + strategy + "\n"
                    + "pekko.cluster.split-brain-resolver.stable-after = 1700ms\n"
                    + "pekko.cluster.down-removal-margin = 600ms\n")
            .withFallback(ConfigFactory.load()));
  }

  @Test
  void runsPekkosResolverWithTheConfiguredStrategyAndSettingsOnAQuarterSecondTick() {
    ActorTestKit testKit = node("keep-oldest");
    try {
      PromptDowningProvider provider = new PromptDowningProvider(Adapter.toClassic(testKit.system()));
      Props props = provider.downingActorProps().get();

      assertThat(props.actorClass()).isEqualTo(PromptSplitBrainResolver.class);
      assertThat(props.args().apply(0)).isEqualTo(FiniteDuration.create(1700, "ms"));
      assertThat(props.args().apply(1)).isInstanceOf(KeepOldest.class);
      assertThat(provider.downRemovalMargin()).isEqualTo(FiniteDuration.create(600, "ms"));
      assertThat(PromptSplitBrainResolver.TICK).isEqualTo(Duration.ofMillis(250));
    } finally {
      testKit.shutdownTestKit();
    }
  }

  @Test
  void theNodesResolverTakesDecisionsOnceItHasJoined() {
    ActorTestKit testKit = node("keep-majority");
    try {
      Cluster cluster = Cluster.get(testKit.system());
      LoggingTestKit.info("This node is now the leader responsible for taking SBR decisions")
          .withLoggerName(PromptSplitBrainResolver.class.getName())
          .expect(testKit.system(), () -> {
            cluster.manager().tell(Join.create(cluster.selfMember().address()));
            return null;
          });
    } finally {
      testKit.shutdownTestKit();
    }
  }
}
