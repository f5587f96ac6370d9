package dev.tessera.runtime.logging;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class OncePerIntervalTest {

  private final AtomicLong now = new AtomicLong(1_000);
  private final OncePerInterval limit = new OncePerInterval(Duration.ofSeconds(60), now::get);

  @Test
  void theFirstOccurrenceIsReportedThenRepeatsAreHeldBackUntilTheIntervalHasPassed() {
    assertThat(limit.occurred("peer-a")).isEqualTo(OptionalLong.of(0));
    for (int i = 0; i < 50; i++) {
      now.addAndGet(Duration.ofSeconds(1).toNanos());
      assertThat(limit.occurred("peer-a")).isEmpty();
    }
    now.addAndGet(Duration.ofSeconds(10).toNanos());

    assertThat(limit.occurred("peer-a")).as("reported again, with the 50 held back").isEqualTo(OptionalLong.of(50));
    assertThat(limit.occurred("peer-a")).isEmpty();
  }

  @Test
  void eachKeyHasItsOwnInterval() {
    assertThat(limit.occurred("peer-a")).isPresent();
    assertThat(limit.occurred("peer-b")).isPresent();
    assertThat(limit.occurred("peer-a")).isEmpty();
    assertThat(limit.occurred("peer-b")).isEmpty();
  }
}
