package dev.tessera.runtime.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TaskRegistryTest {

  private static final TaskType<Integer, Long> SQUARE = TaskType.of("square", Integer.class, Long.class);
  private static final TaskType<Integer, Long> CUBE = TaskType.of("cube", Integer.class, Long.class);

  @Test
  void namesAreListedInTheOrderTheyWereRegistered() {
    TaskRegistry registry = TaskRegistry.builder()
        .register(SQUARE, x -> (long) x * x)
        .register(CUBE.isolated(), x -> (long) x * x * x)
        .build();

    assertThat(registry.names()).containsExactly("square", "cube");
  }

  @Test
  void aNameIsRegisteredOnceWhateverItsExecution() {
    TaskRegistry.Builder builder = TaskRegistry.builder().register(SQUARE, x -> (long) x * x);

    assertThatThrownBy(() -> builder.register(SQUARE.isolated(), x -> (long) x * x))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("task type 'square' is registered twice");
  }
}
