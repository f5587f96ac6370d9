package dev.tessera.runtime.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What {@link NodeConfigLoader} refuses before a node starts: misspelt Pekko keys, Pekko keys that
 * Tessera sets itself, numeric settings out of range, and a file's mistakes that a flag hides.
 */
class ConfigChecksTest {

  @TempDir Path dir;

  private Path file(String text) throws IOException {
    return Files.writeString(dir.resolve("node.conf"), text);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "pekko.cluster.seed-node = [\"pekko://tessera@10.0.0.1:25520\"] | pekko.cluster.seed-node"
            + " | pekko.cluster.seed-nodes? Tessera sets it from tessera.node.seeds",
        "pekko.remote.artery.canonical.host = 10.0.0.1 | pekko.remote.artery.canonical.host"
            + " | pekko.remote.artery.canonical.hostname? Tessera sets it from tessera.node.host",
        "pekko.remote.artery.canonical.hostnam = 10.0.0.1 | pekko.remote.artery.canonical.hostnam"
            + " | pekko.remote.artery.canonical.hostname?",
        "pekko.remote.artery.canonical.prot = 25520 | pekko.remote.artery.canonical.prot"
            + " | pekko.remote.artery.canonical.port? Tessera sets it from tessera.node.port",
        "pekko.cluster.gossip-intervall = 1s | pekko.cluster.gossip-intervall | pekko.cluster.gossip-interval?)",
      })
  void misspeltPekkoKeyIsAnErrorWithASuggestion(String line, String key, String suggestion) throws IOException {
    Path conf = file(line + "\n");

    assertThatThrownBy(() -> NodeConfigLoader.load(Optional.of(conf), Map.of()))
        .isInstanceOf(InvalidNodeSettingsException.class)
        .hasMessageStartingWith(conf + ": 1: unknown config key " + key + " (did you mean ")
        .hasMessageContaining(suggestion)
        .hasMessageNotContaining("\n");
  }

  @Test
  void pekkoClusterRoleAsAListIsCaughtAsTheSectionItIs() throws IOException {
    Path conf = file("pekko.cluster.role = [worker]\n");

    assertThatThrownBy(() -> NodeConfigLoader.load(Optional.of(conf), Map.of()))
        .hasMessage(conf + ": 1: pekko.cluster.role is a section in Pekko's config, not a list"
            + " (did you mean pekko.cluster.roles? Tessera sets it from tessera.node.roles: set that instead)");
  }

  @Test
  void pekkoKeyThatTesseraSetsNamesTheTesseraKey() {
    assertThatThrownBy(() -> NodeConfigLoader.load(Optional.empty(), Map.of("pekko.cluster.seed-nodes", "[]")))
        .hasMessage("command-line flags: pekko.cluster.seed-nodes is set by Tessera from tessera.node.seeds: set that instead");
  }

  @Test
  void openEndedAndUnrelatedPekkoKeysPass() {
    Config c = NodeConfigLoader.load(ConfigFactory.parseString(
        "pekko.cluster.role.worker.min-nr-of-members = 2\n"
            + "pekko.cluster.sharding.passivation.my-strategy.active-entity-limit = 10\n"
            + "pekko.cluster.totally-unrelated-extension.enabled = on\n"
            + "pekko.remote.artery.advanced.maximum-frame-size = 512 KiB\n"));

    assertThat(c.getInt("pekko.cluster.role.worker.min-nr-of-members")).isEqualTo(2);
    assertThat(c.getBytes("pekko.remote.artery.advanced.maximum-frame-size")).isEqualTo(512 * 1024L);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "tessera.node.failure-detection.threshold = 0.5"
            + " | tessera.node.failure-detection.threshold = 0.5 is out of range: allowed 1.0 .. 100.0",
        "tessera.node.join.timeout = 0s | tessera.node.join.timeout = \"0s\" is out of range: allowed 1s .. 1d",
        "tessera.node.join.timeout = -3s | tessera.node.join.timeout = \"-3s\" is out of range: allowed 1s .. 1d",
        "tessera.node.join.timeout = soon | tessera.node.join.timeout = \"soon\" is not a duration (allowed 1s .. 1d)",
        "tessera.node.management.port = -1"
            + " | tessera.node.management.port = -1 is out of range: allowed 0 .. 65535 (0 = any free port)",
        "tessera.node.port = 2.5 | tessera.node.port = 2.5 is not a whole number (allowed 0 .. 65535 (0 = any free port))",
      })
  void numericSettingOutOfRangeNamesKeyValueAndRange(String line, String message) throws IOException {
    Path conf = file(line + "\n");

    assertThatThrownBy(() -> NodeConfigLoader.load(Optional.of(conf), Map.of()))
        .isInstanceOf(InvalidNodeSettingsException.class)
        .hasMessage(conf + ": 1: " + message);
  }

  @Test
  void aFlagDoesNotHideTheFilesRangeError() throws IOException {
    Path conf = file("tessera.node.port = 70000\n");

    assertThatThrownBy(() -> NodeConfigLoader.load(Optional.of(conf), Map.of("tessera.node.port", 25520)))
        .hasMessage(conf + ": 1: tessera.node.port = 70000 is out of range: allowed 0 .. 65535 (0 = any free port)"
            + " (a command-line flag overrides it this time; fix the file)");
  }

  @Test
  void aFlagDoesNotHideTheFilesOtherErrors() throws IOException {
    Path conf = file("tessera.node.cluster-name = \"my cluster\"\n");

    assertThatThrownBy(() -> NodeConfigLoader.load(Optional.of(conf), Map.of("tessera.node.cluster-name", "ok")))
        .hasMessage(conf + ": tessera.node.cluster-name: 'my cluster' may hold only letters, digits, '-' and '_'"
            + " (a command-line flag overrides it this time; fix the file)");
  }

  @Test
  void aFlagMaySupplyWhatTheFileLeavesOut() throws IOException {
    Path conf = file("tessera.node { port = 7000, management.port = 7001 }\n");

    Config c = NodeConfigLoader.load(Optional.of(conf), Map.of("tessera.node.port", 7002));

    assertThat(NodeSettings.create(c).port()).isEqualTo(7002);
  }

  @Test
  void rangesParseEveryKindAndRejectMalformedDeclarations() {
    SettingRanges ranges = SettingRanges.parse(ConfigFactory.parseString(
        "a.count = \"1 .. 10\"\n a.ratio = \"0.5 .. 1.5\"\n a.wait = \"1s .. 1m\"\n a.size = \"1 KiB .. 1 MiB\""));

    ranges.check(ConfigFactory.parseString("a { count = 10, ratio = 0.5, wait = 60s, size = 1024 }"));
    assertThatThrownBy(() -> ranges.check(ConfigFactory.parseString("a.size = 2 MiB")))
        .hasMessageContaining("a.size = \"2 MiB\" is out of range: allowed 1 KiB .. 1 MiB");
    assertThatThrownBy(() -> ranges.check(ConfigFactory.parseString("a.count = many")))
        .hasMessageContaining("a.count = \"many\" is not a whole number (allowed 1 .. 10)");
    assertThatThrownBy(() -> SettingRanges.parse(ConfigFactory.parseString("a.b = \"between 1 and 2\"")))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void everyNumericRuntimeSettingHasARangeThatItsDefaultMeets() {
    SettingRanges ranges = SettingRanges.fromClasspath();
    Config reference = ConfigFactory.defaultReference();

    assertThat(ranges.undeclared(reference)).filteredOn(k -> k.startsWith("tessera.node.")).isEmpty();
    assertThat(ranges.defaultsOutOfRange(reference)).isEmpty();
  }
}
