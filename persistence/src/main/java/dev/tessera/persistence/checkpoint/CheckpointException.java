package dev.tessera.persistence.checkpoint;

/**
 * A checkpoint could not be saved or loaded: the journal failed, did not answer in time, or holds
 * a checkpoint that does not match its own checksum. The message names the simulation and step.
 *
 * <pre>{@code
 * checkpoints.save(step, state).exceptionally(error -> { log.error("checkpoint lost", error); return null; });
 * }</pre>
 */
public final class CheckpointException extends RuntimeException {

  public CheckpointException(String message) {
    super(message);
  }

  public CheckpointException(String message, Throwable cause) {
    super(message, cause);
  }
}
