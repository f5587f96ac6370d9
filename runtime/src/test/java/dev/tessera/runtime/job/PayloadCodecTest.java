package dev.tessera.runtime.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.AbstractList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class PayloadCodecTest {

  private final PayloadCodec codec = new PayloadCodec();

  @Test
  void aValueWithinTheLimitEncodesAsWithoutOne() {
    List<Long> value = List.of(1L, 2L, 3L);

    assertThat(codec.encode(value, 1024)).isEqualTo(codec.encode(value));
    assertThat(codec.encode(value, codec.encode(value).length)).isEqualTo(codec.encode(value));
  }

  @Test
  void anOversizedValueFailsAsSoonAsItPassesTheLimitWithoutBeingEncodedWhole() {
    // 100 million numbers, made as they are read: encoded whole they would take about 900 MB.
    AtomicLong read = new AtomicLong();
    List<Long> huge = new AbstractList<>() {
      @Override
      public Long get(int index) {
        read.incrementAndGet();
        return (long) index * 1_000_003L;
      }

      @Override
      public int size() {
        return 100_000_000;
      }
    };

    assertThatThrownBy(() -> codec.encode(huge, 64 * 1024))
        .isInstanceOf(PayloadCodec.TooLargeException.class)
        .hasMessageContaining("larger than the limit of 65536 bytes");
    assertThat(read.get()).as("elements read before it stopped").isLessThan(20_000);
  }

  @Test
  void aValueThatCannotBeSerializedIsNamedNotMistakenForATooLargeOne() {
    Object unserializable = new Object() {
      @SuppressWarnings("unused")
      public Object getSelf() {
        return this;
      }
    };

    assertThatThrownBy(() -> codec.encode(unserializable, 1024)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cannot serialize");
  }
}
