package dev.tessera.runtime.logging;

import java.time.Duration;

/** Durations written for people, in log lines and error messages. */
public final class Durations {

  private Durations() {}

  /** "30 s", or "1500 ms" where whole seconds would round. */
  public static String describe(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }
}
