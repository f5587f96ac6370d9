package dev.tessera.runtime.logging;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.function.LongSupplier;

/**
 * Decides whether something seen again and again (a refused node retrying several times a second)
 * is worth a log line now: the first time for a key, then at most once per interval, with how many
 * times it was held back meanwhile.
 *
 * <p>Thread safety: every method may be called from any thread (TLS engines report from stream
 * threads). Memory: one entry per key; keys are peers or certificate subjects, few in practice, and
 * entries older than ten intervals are dropped when the map grows past {@value #PRUNE_ABOVE}.
 */
public final class OncePerInterval {

  private static final int PRUNE_ABOVE = 1_000;

  private final long intervalNanos;
  private final LongSupplier nanoTime;
  private final Map<String, Entry> entries = new HashMap<>();

  private static final class Entry {
    long lastReportedNanos;
    long heldBack;
  }

  /** @param nanoTime a monotonic clock ({@code System::nanoTime}; a fake one in tests) */
  public OncePerInterval(Duration interval, LongSupplier nanoTime) {
    Objects.requireNonNull(interval, "interval");
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("interval must be positive, got " + interval);
    }
    this.intervalNanos = interval.toNanos();
    this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
  }

  public static OncePerInterval perMinute() {
    return new OncePerInterval(Duration.ofMinutes(1), System::nanoTime);
  }

  /**
   * Records one occurrence of {@code key}.
   *
   * @return empty when it should not be logged now; otherwise how many occurrences were held back
   *     since the last one logged (0 the first time)
   */
  public synchronized OptionalLong occurred(String key) {
    Objects.requireNonNull(key, "key");
    long now = nanoTime.getAsLong();
    Entry entry = entries.get(key);
    if (entry == null) {
      prune(now);
      entry = new Entry();
      entry.lastReportedNanos = now;
      entries.put(key, entry);
      return OptionalLong.of(0);
    }
    if (now - entry.lastReportedNanos < intervalNanos) {
      entry.heldBack++;
      return OptionalLong.empty();
    }
    long heldBack = entry.heldBack;
    entry.heldBack = 0;
    entry.lastReportedNanos = now;
    return OptionalLong.of(heldBack);
  }

  private void prune(long now) {
    if (entries.size() >= PRUNE_ABOVE) {
      entries.values().removeIf(e -> now - e.lastReportedNanos > 10 * intervalNanos);
    }
  }
}
