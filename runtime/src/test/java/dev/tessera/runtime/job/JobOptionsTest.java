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

  @Test
  void localityWaitDefaultsToHalfASecondMayBeZeroAndMustNotBeNegative() {
    assertThat(JobOptions.defaults().localityWait()).isEqualTo(Duration.ofMillis(500));
    assertThat(JobOptions.defaults().withLocalityWait(Duration.ZERO).withMaxAttempts(5).localityWait())
        .as("zero turns the preference off, and the other with* methods keep it")
        .isZero();
    assertThatThrownBy(() -> JobOptions.defaults().withLocalityWait(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("localityWait must not be negative, got PT-0.001S");
  }

  @Test
  void optionsSerializedBeforeLocalityWaitExistedReadWithTheDefault() throws Exception {
    ActorTestKit kit = ActorTestKit.create();
    try {
      for (String binding : new String[] {"jackson-cbor", "jackson-json"}) {
        ObjectMapper mapper = JacksonObjectMapperProvider.get(kit.system()).getOrCreate(binding, Optional.empty());
        JobOptions written = JobOptions.defaults().withRequiredRole("gpu").withLocalityWait(Duration.ofSeconds(2));
        ObjectNode old = mapper.valueToTree(written);
        assertThat(old.has("localityWait")).as("written by today's class (%s)", binding).isTrue();
        old.remove("localityWait");

        JobOptions read = mapper.readValue(mapper.writeValueAsBytes(old), JobOptions.class);

        assertThat(read).as(binding).isEqualTo(JobOptions.defaults().withRequiredRole("gpu"));
        assertThat(mapper.readValue(mapper.writeValueAsBytes(written), JobOptions.class)).as(binding).isEqualTo(written);
      }
    } finally {
      kit.shutdownTestKit();
    }
  }
}
