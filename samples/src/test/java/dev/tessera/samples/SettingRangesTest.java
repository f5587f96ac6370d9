package dev.tessera.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import dev.tessera.runtime.node.InvalidNodeSettingsException;
import dev.tessera.runtime.node.NodeConfigLoader;
import dev.tessera.runtime.node.SettingRanges;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every numeric {@code tessera.*} setting of every module (this module sees them all) has a
 * declared range that its default meets, and a value outside it stops the node naming the key.
 */
class SettingRangesTest {

  @Test
  void everyNumericSettingOfEveryModuleHasARangeItsDefaultMeets() {
    SettingRanges ranges = SettingRanges.fromClasspath();

    assertThat(ranges.undeclared(ConfigFactory.defaultReference())).isEmpty();
    assertThat(ranges.defaultsOutOfRange(ConfigFactory.defaultReference())).isEmpty();
  }

  // Flags arrive as strings, so the messages show the values quoted, as written.
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "tessera.persistence.jobs.snapshot-every | -3 | \"-3\" is out of range: allowed 1 .. 2147483647",
        "tessera.work-pulling.worker.capacity | -1"
            + " | \"-1\" is out of range: allowed 0 .. 4096 (0 = one per available processor)",
        "tessera.work-pulling.worker.inline-result-bytes | 0 | \"0\" is out of range: allowed 1 KiB .. 192 KiB (results above it travel through the object store)",
        "tessera.persistence.checkpoint.chunk-size | 10 | \"10\" is out of range: allowed 1 KiB .. 64 MiB",
        "tessera.gpu.batch.max-requests | lots | \"lots\" is not a whole number (allowed 1 .. 1000000)",
        "tessera.samples.heat.seed-retry | 0s | \"0s\" is out of range: allowed 10ms .. 1h",
      })
  void aValueOutOfRangeNamesKeyValueAndRange(String key, String value, String problem) {
    assertThatThrownBy(() -> NodeConfigLoader.load(Optional.empty(), Map.of(key, value)))
        .isInstanceOf(InvalidNodeSettingsException.class)
        .hasMessage("command-line flags: " + key + " = " + problem);
  }
}
