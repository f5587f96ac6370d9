package dev.tessera.persistence.checkpoint;

import java.util.Objects;

/**
 * A simulation's saved state at one step.
 *
 * <pre>{@code
 * Optional<Checkpoint> resume = checkpoints.latest().toCompletableFuture().get();
 * long firstStep = resume.map(c -> c.step() + 1).orElse(0L);
 * }</pre>
 *
 * @param step the step the state belongs to
 * @param state the bytes given to {@link Checkpoints#save(long, byte[])}, exactly
 */
public record Checkpoint(long step, byte[] state) {
  public Checkpoint {
    Objects.requireNonNull(state, "state");
  }
}
