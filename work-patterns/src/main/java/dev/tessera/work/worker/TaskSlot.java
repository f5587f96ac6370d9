package dev.tessera.work.worker;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;

/**
 * What one task thread of a {@link TaskWorker} runs now. Its thread and the worker's actor both lock
 * it, so an interrupt meant for a task that overran never reaches the next task the thread runs.
 *
 * @param <T> the task, as the worker queues it
 */
final class TaskSlot<T> {

  private Thread thread;
  private T current;
  private long startedNanos;
  private boolean abandoned;

  /** Called on the task thread before it runs {@code task}. */
  synchronized void begin(T task) {
    thread = Thread.currentThread();
    Thread.interrupted(); // clear an interrupt that came too late for the previous task
    current = task;
    startedNanos = System.nanoTime();
    abandoned = false;
  }

  /**
   * Called on the task thread after the task returned.
   *
   * @return false if the task was abandoned: its outcome was reported already
   */
  synchronized boolean end() {
    current = null;
    Thread.interrupted();
    return !abandoned;
  }

  /** The task running here and not abandoned, if any. */
  synchronized Optional<T> running() {
    return abandoned ? Optional.empty() : Optional.ofNullable(current);
  }

  /**
   * The task this slot runs, if it has run longer than {@code timeoutOf} allows it; it is then
   * abandoned (its thread interrupted, its late outcome dropped).
   */
  synchronized T abandonIfOverdue(long now, Function<T, Duration> timeoutOf) {
    if (current == null || abandoned || now - startedNanos <= timeoutOf.apply(current).toNanos()) {
      return null;
    }
    return abandon(true);
  }

  /**
   * The task this slot runs, if its thread is inside {@code System.exit} or {@code Runtime.exit}
   * (the handler is taking the JVM down; the thread never returns): it is abandoned, and the stack
   * trace of the call is returned with it.
   */
  synchronized Optional<Exiting<T>> abandonIfExiting() {
    if (current == null || abandoned) {
      return Optional.empty();
    }
    StackTraceElement[] stack = thread.getStackTrace();
    for (StackTraceElement frame : stack) {
      boolean exit = frame.getMethodName().equals("exit")
          && (frame.getClassName().equals("java.lang.Shutdown") || frame.getClassName().equals("java.lang.Runtime"));
      if (exit) {
        StringBuilder trace = new StringBuilder();
        for (StackTraceElement f : stack) {
          trace.append("\tat ").append(f).append('\n');
        }
        return Optional.of(new Exiting<>(abandon(false), trace.toString()));
      }
    }
    return Optional.empty();
  }

  /** A task whose handler called {@code System.exit}, and where. */
  record Exiting<T>(T task, String stackTrace) {}

  private T abandon(boolean interrupt) {
    abandoned = true;
    if (interrupt) {
      thread.interrupt();
    }
    return current;
  }
}
