package dev.tessera.work;

/**
 * A task used up its attempts (or could not run anywhere): what {@link TaskSession#run} fails with.
 * The message holds the last attempt's error, with its stack trace as text.
 *
 * <pre>{@code
 * squares.run(-1).exceptionally(error -> {
 *   if (error.getCause() instanceof TaskFailedException failed) { log.warn("gave up after {} attempts", failed.attempts()); }
 *   return null;
 * });
 * }</pre>
 */
public final class TaskFailedException extends RuntimeException {

  private final int attempts;

  public TaskFailedException(int attempts, String lastCause) {
    super("task failed after " + attempts + " attempts: " + lastCause);
    this.attempts = attempts;
  }

  /** How often the task was tried. */
  public int attempts() {
    return attempts;
  }
}
