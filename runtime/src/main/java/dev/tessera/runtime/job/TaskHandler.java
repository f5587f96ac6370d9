package dev.tessera.runtime.job;

/**
 * The code that runs one task. It runs on a worker's task thread pool, may block, and may throw:
 * an exception counts as a failed attempt (retried up to the job's {@code maxAttempts}) and never
 * harms the worker or the job. A handler that runs past the job's task timeout is interrupted.
 *
 * <pre>{@code
 * TaskHandler<Integer, Long> square = x -> (long) x * x;
 * }</pre>
 */
@FunctionalInterface
public interface TaskHandler<I, O> {

  O run(I input) throws Exception;
}
