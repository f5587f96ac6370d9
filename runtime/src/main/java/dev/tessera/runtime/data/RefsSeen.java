package dev.tessera.runtime.data;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The {@link DataRef}s serialized on this thread while a piece of code runs: a worker encodes a
 * task's result inside {@link #during}, and learns which objects the result names (they outlive
 * the job, in the submitter's keeping) and a submitter encodes a job's inputs the same way (to offer
 * each task to the node holding its data).
 *
 * <p>Thread safety: per thread; nested calls each see what was written inside them.
 */
public final class RefsSeen {

  private static final ThreadLocal<List<DataRef<?>>> SEEN = new ThreadLocal<>();

  private RefsSeen() {}

  /** What {@code work} returned, and every ref serialized on this thread while it ran. */
  public record Seen<V>(V value, List<DataRef<?>> refs) {}

  public static <V> Seen<V> during(Supplier<V> work) {
    List<DataRef<?>> outer = SEEN.get();
    List<DataRef<?>> mine = new ArrayList<>(0);
    SEEN.set(mine);
    try {
      V value = work.get();
      return new Seen<>(value, List.copyOf(mine));
    } finally {
      SEEN.set(outer);
      if (outer != null) {
        outer.addAll(mine);
      }
    }
  }

  static void saw(DataRef<?> ref) {
    List<DataRef<?>> seen = SEEN.get();
    if (seen != null) {
      seen.add(ref);
    }
  }
}
