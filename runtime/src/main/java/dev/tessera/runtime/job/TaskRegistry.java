package dev.tessera.runtime.job;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The task types a node can run, by name. Build one at start-up with every handler of your
 * application; the same registry on every worker node.
 *
 * <pre>{@code
 * TaskRegistry registry = TaskRegistry.builder()
 *     .register(SQUARE, x -> (long) x * x)
 *     .build();
 * }</pre>
 *
 * <p>Immutable once built; safe to share between threads.
 */
public final class TaskRegistry {

  /** A registered type with its handler. */
  public record Registration<I, O>(TaskType<I, O> type, TaskHandler<I, O> handler) {
    public Registration {
      Objects.requireNonNull(type, "type");
      Objects.requireNonNull(handler, "handler");
    }

    /**
     * True if the type was registered {@link TaskType#isolated() isolated}: a worker then runs its
     * tasks in a child JVM (where the same registration's handler runs) rather than calling
     * {@link #handler()} itself.
     */
    public boolean isIsolated() {
      return type.isIsolated();
    }
  }

  private final Map<String, Registration<?, ?>> byName;

  private final List<String> names;

  private TaskRegistry(Map<String, Registration<?, ?>> byName) {
    this.byName = Map.copyOf(byName);
    this.names = List.copyOf(byName.keySet());
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The registration of the type named {@code name}, if this node has one. */
  public Optional<Registration<?, ?>> lookup(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  /** The names of the registered types, in the order they were registered. */
  public List<String> names() {
    return names;
  }

  /** Collects registrations; a name may be registered once. */
  public static final class Builder {
    private final Map<String, Registration<?, ?>> byName = new LinkedHashMap<>();

    private Builder() {}

    public <I, O> Builder register(TaskType<I, O> type, TaskHandler<I, O> handler) {
      Registration<I, O> registration = new Registration<>(type, handler);
      if (byName.putIfAbsent(type.name(), registration) != null) {
        throw new IllegalArgumentException("task type '" + type.name() + "' is registered twice");
      }
      return this;
    }

    public TaskRegistry build() {
      return new TaskRegistry(byName);
    }
  }
}
