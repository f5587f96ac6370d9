package dev.tessera.work;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.job.TaskRegistry;
import dev.tessera.runtime.job.TaskType;
import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.work.worker.TaskWorker;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.Props;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Single tasks through a long-lived session, on a one-node cluster with every message serialized. */
class TaskSessionTest {

  private static final TaskType<Integer, Long> CUBE = TaskType.of("cube", Integer.class, Long.class);

  private static ComputeNode node;

  @BeforeAll
  static void startNode() throws Exception {
    node = TestNodes.start(List.of("worker"), List.of());
    node.whenUp().toCompletableFuture().get(30, TimeUnit.SECONDS);
    TaskRegistry registry = TaskRegistry.builder().register(CUBE, x -> {
      if (x < 0) {
        throw new ArithmeticException("no negative cubes here: " + x);
      }
      return (long) x * x * x;
    }).build();
    node.system().systemActorOf(TaskWorker.create(registry, 2, 1 << 20), "task-worker", Props.empty());
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void eachTaskGetsItsOwnResultOneAfterAnotherAndManyAtOnce() throws Exception {
    try (TaskSession<Integer, Long> session = TaskSession.open(node.system(), CUBE, JobOptions.defaults())) {
      for (int i = 0; i < 50; i++) {
        assertThat(session.run(i).toCompletableFuture().get(10, TimeUnit.SECONDS)).isEqualTo((long) i * i * i);
      }
      List<CompletableFuture<Long>> many = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        many.add(session.run(i).toCompletableFuture());
      }
      for (int i = 0; i < 1000; i++) {
        assertThat(many.get(i).get(10, TimeUnit.SECONDS)).isEqualTo((long) i * i * i);
      }
    }
  }

  @Test
  void aTaskThatKeepsFailingFailsItsFutureWithTheCauseAndTheSessionGoesOn() throws Exception {
    TaskSession<Integer, Long> session = TaskSession.open(node.system(), CUBE, JobOptions.defaults().withMaxAttempts(2));

    assertThatThrownBy(() -> session.run(-2).toCompletableFuture().get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(TaskFailedException.class)
        .hasMessageStartingWith("task failed after 2 attempts: java.lang.ArithmeticException: no negative cubes here: -2");
    assertThat(session.run(2).toCompletableFuture().get(10, TimeUnit.SECONDS)).isEqualTo(8L);

    session.closeAsync().toCompletableFuture().get(10, TimeUnit.SECONDS);
    // A second close is answered too, although the session's actor has stopped.
    session.closeAsync().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThatThrownBy(() -> session.run(3).toCompletableFuture().get(10, TimeUnit.SECONDS))
        .hasCauseInstanceOf(IllegalStateException.class)
        .hasMessageContaining("is closed");
  }
}
