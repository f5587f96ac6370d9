package dev.tessera.runtime.job;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TaskTypeTest {

  private static final TaskType<Integer, Long> SQUARE = TaskType.of("square", Integer.class, Long.class);

  @Test
  void aTypeRunsInProcessUnlessMarkedIsolated() {
    assertThat(SQUARE.isIsolated()).isFalse();
    assertThat(SQUARE.execution()).isEqualTo(TaskType.Execution.IN_PROCESS);

    TaskType<Integer, Long> isolated = SQUARE.isolated();

    assertThat(isolated.isIsolated()).isTrue();
    assertThat(isolated.name()).isEqualTo("square");
    assertThat(isolated.inputType()).isEqualTo(Integer.class);
    assertThat(isolated.outputType()).isEqualTo(Long.class);
    assertThat(isolated.isolated()).isEqualTo(isolated);
  }

  @Test
  void equalityCountsExecutionButTheRegistryMatchesByName() {
    assertThat(SQUARE.isolated()).isNotEqualTo(SQUARE).isEqualTo(TaskType.of("square", Integer.class, Long.class).isolated());

    TaskRegistry registry = TaskRegistry.builder().register(SQUARE.isolated(), x -> (long) x * x).build();

    assertThat(registry.lookup(SQUARE.name())).hasValueSatisfying(r -> assertThat(r.isIsolated()).isTrue());
    TaskRegistry plain = TaskRegistry.builder().register(SQUARE, x -> (long) x * x).build();
    assertThat(plain.lookup("square")).hasValueSatisfying(r -> assertThat(r.isIsolated()).isFalse());
  }
}
