package dev.tessera.runtime.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.tessera.runtime.logging.OncePerInterval;
import java.time.Duration;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.Test;

class ForeignNodeWatchTest {

  private static final String PEKKO_WARNING =
      "Dropping Handshake Request from [pekko://foo@127.0.0.1:27803#-4611686018427387904] addressed to unknown "
          + "local address [pekko://foo@127.0.0.1:25520]. Local address is [pekko://tessera@127.0.0.1:25520]. "
          + "Check that the sending system uses the same address to contact recipient system as defined in the "
          + "'pekko.remote.artery.canonical.hostname' of the recipient system. The name of the ActorSystem must "
          + "also match.";

  private static Config node(String seeds) {
    return ConfigFactory.parseString(
            "pekko.actor.provider = cluster\n"
                + "pekko.remote.artery.canonical.hostname = 127.0.0.1\n"
                + "pekko.remote.artery.canonical.port = 0\n"
                + "pekko.cluster.seed-nodes = " + seeds + "\n"
                + "pekko.cluster.seed-node-timeout = 300ms\n"
                + "pekko.cluster.retry-unsuccessful-join-after = 300ms\n"
                + "pekko.actor.serialize-messages = on\n")
        .withFallback(ConfigFactory.load());
  }

  @Test
  void readsPekkosDroppedHandshakeWarning() {
    ForeignNodeWatch.DroppedHandshake d = ForeignNodeWatch.parse(PEKKO_WARNING).orElseThrow();

    assertThat(d.from()).isEqualTo(AddressFromURIString.parse("pekko://foo@127.0.0.1:27803"));
    assertThat(d.addressedAs()).isEqualTo(AddressFromURIString.parse("pekko://foo@127.0.0.1:25520"));
    assertThat(d.local()).isEqualTo(AddressFromURIString.parse("pekko://tessera@127.0.0.1:25520"));
    assertThat(ForeignNodeWatch.parse("Association to [pekko://foo@127.0.0.1:1] failed")).isEmpty();
  }

  @Test
  void bothSidesLinesNameThePeerAndTheClusterNames() {
    ForeignNodeWatch.DroppedHandshake d = ForeignNodeWatch.parse(PEKKO_WARNING).orElseThrow();

    assertThat(ForeignNodeWatch.refusedMessage(d))
        .startsWith("refused node pekko://foo@127.0.0.1:27803: it tries to join cluster 'foo', this is cluster 'tessera'");
    assertThat(ForeignNodeWatch.strangerMessage(d.local(), d.addressedAs()))
        .isEqualTo("the seed at 127.0.0.1:25520 belongs to cluster 'tessera', not 'foo' (set --cluster-name tessera to join it)");
  }

  @Test
  void aSeedWithTheRightNameButAnotherHostIsNamedAsSuch() {
    Address seed = AddressFromURIString.parse("pekko://tessera@10.0.0.5:25520");
    Address addressedAs = AddressFromURIString.parse("pekko://tessera@127.0.0.1:25520");

    assertThat(ForeignNodeWatch.strangerMessage(seed, addressedAs))
        .contains("knows itself as pekko://tessera@10.0.0.5:25520, not pekko://tessera@127.0.0.1:25520");
  }

  @Test
  void aNodeOfAnotherClusterNameIsLoggedOnceAndToldWhichClusterTheSeedBelongsTo() {
    ActorTestKit cluster = ActorTestKit.create("tessera", node("[]"));
    ActorTestKit stranger = null;
    try {
      Address seed = Cluster.get(cluster.system()).selfMember().address();
      String seedInForeignName = "pekko://foo@127.0.0.1:" + seed.getPort().orElseThrow();
      stranger = ActorTestKit.create("foo", node("[\"" + seedInForeignName + "\"]"));
      ActorTestKit s = stranger;
      s.spawn(ForeignNodeWatch.create(OncePerInterval.perMinute()), ForeignNodeWatch.NAME);

      // The stranger retries every 300 ms: one line on the cluster's side for all of them.
      LoggingTestKit.warn("refused node pekko://foo@127.0.0.1:")
          .withOccurrences(1)
          .expect(cluster.system(), () -> {
            cluster.spawn(ForeignNodeWatch.create(OncePerInterval.perMinute()), ForeignNodeWatch.NAME);
            TestProbe<Object> probe = s.createTestProbe();
            JoinRefusals refusals = JoinRefusals.ID.get(Adapter.toClassic(s.system()));
            probe.awaitAssert(Duration.ofSeconds(15), () -> {
              assertThat(refusals.causes()).containsExactly(
                  "the seed at 127.0.0.1:" + seed.getPort().orElseThrow()
                      + " belongs to cluster 'tessera', not 'foo' (set --cluster-name tessera to join it)");
              return null;
            });
            probe.expectNoMessage(Duration.ofSeconds(2));
            return null;
          });
    } finally {
      if (stranger != null) {
        stranger.shutdownTestKit();
      }
      cluster.shutdownTestKit();
    }
  }
}
