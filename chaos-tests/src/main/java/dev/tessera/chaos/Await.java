package dev.tessera.chaos;

import java.time.Duration;
import java.util.concurrent.Callable;

/** Waits for a condition with a deadline: the only way tests here wait (never a fixed sleep). */
public final class Await {

  private static final long POLL_MILLIS = 100;

  private Await() {}

  /**
   * Polls {@code condition} until it is true; an exception from it counts as "not yet".
   *
   * @return how long it took
   * @throws AssertionError naming {@code what} if the deadline passes first
   */
  public static Duration until(String what, Duration timeout, Callable<Boolean> condition) throws InterruptedException {
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    Exception last = null;
    while (true) {
      try {
        if (Boolean.TRUE.equals(condition.call())) {
          return Duration.ofNanos(System.nanoTime() - start);
        }
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        last = e;
      }
      if (System.nanoTime() > deadline) {
        AssertionError error = new AssertionError("timed out after " + timeout.toSeconds() + " s waiting until " + what);
        if (last != null) {
          error.initCause(last);
        }
        throw error;
      }
      Thread.sleep(POLL_MILLIS);
    }
  }
}
