package dev.tessera.work.worker.isolation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class IsolationSettingsTest {

  @Test
  void theReferenceConfigGivesTheDefaults() {
    assertThat(IsolationSettings.create(ConfigFactory.load())).isEqualTo(IsolationSettings.defaults());
  }

  @Test
  void anApplicationOverridesTheIsolationKeys() {
    IsolationSettings settings = IsolationSettings.create(ConfigFactory.parseString("""
        tessera.work-pulling.worker { isolation { max-result-bytes = 1k, heap = 2g, jvm-options = ["-Dx=1"], cancel-grace = 5s } }
        """).withFallback(ConfigFactory.load()));

    assertThat(settings).isEqualTo(new IsolationSettings("2g", List.of("-Dx=1"), 1024, Duration.ofSeconds(30), Duration.ofSeconds(5)));
  }

  @Test
  void aHeapThatIsNoSizeIsRefused() {
    assertThatThrownBy(() -> IsolationSettings.defaults().withHeap("lots"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("heap must be a size as -Xmx takes it (256m, 2g), got 'lots'");
  }
}
