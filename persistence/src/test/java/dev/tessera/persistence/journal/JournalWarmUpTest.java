package dev.tessera.persistence.journal;

import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The journal warm-up recovers once through the configured plugins, writes nothing and stops. */
class JournalWarmUpTest {

  private static final ActorTestKit testKit = ActorTestKit.create(
      PersistenceTestKitPlugin.getInstance().config()
          .withFallback(PersistenceTestKitSnapshotPlugin.config())
          .withFallback(ConfigFactory.parseString(
              "tessera.persistence.journal-plugin = \"" + PersistenceTestKitPlugin.PluginId() + "\"\n"
              + "tessera.persistence.snapshot-plugin = \"" + PersistenceTestKitSnapshotPlugin.PluginId() + "\""))
          .withFallback(ConfigFactory.load()));
  private static final PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());

  @AfterAll
  static void shutDown() {
    testKit.shutdownTestKit();
  }

  @Test
  void recoversOnceThenStopsHavingWrittenNothing() {
    ActorRef<JournalWarmUp.Command> warmUp = testKit.spawn(JournalWarmUp.create());
    TestProbe<Object> probe = testKit.createTestProbe();
    probe.expectTerminated(warmUp);
    journal.expectNothingPersisted(JournalWarmUp.PERSISTENCE_ID.id());
  }
}
