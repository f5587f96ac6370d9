package dev.tessera.runtime.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;
import org.junit.jupiter.api.Test;

class JobOptionsTest {

  @Test
  void noCapableNodeTimeoutDefaultsToThirtySecondsAndMustBePositive() {
    assertThat(JobOptions.defaults().noCapableNodeTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(JobOptions.defaults().withNoCapableNodeTimeout(Duration.ofSeconds(2)).withBatchSize(7).noCapableNodeTimeout())
        .as("kept by the other with* methods")
        .isEqualTo(Duration.ofSeconds(2));
    assertThatThrownBy(() -> JobOptions.defaults().withNoCapableNodeTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("noCapableNodeTimeout must be positive, got PT0S");
  }

  @Test
  void optionsSerializedBeforeNoCapableNodeTimeoutExistedReadWithTheDefault() throws Exception {
    ActorTestKit kit = ActorTestKit.create();
    try {
      ObjectMapper cbor = JacksonObjectMapperProvider.get(kit.system()).getOrCreate("jackson-cbor", Optional.empty());
      ObjectNode old = cbor.valueToTree(JobOptions.defaults().withRequiredRole("gpu"));
      old.remove("noCapableNodeTimeout");

      JobOptions read = cbor.treeToValue(old, JobOptions.class);

      assertThat(read).isEqualTo(JobOptions.defaults().withRequiredRole("gpu"));
    } finally {
      kit.shutdownTestKit();
    }
  }
}
