package dev.tessera.work;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.runtime.data.Data;
import dev.tessera.runtime.data.DataException;
import dev.tessera.runtime.data.DataRef;
import dev.tessera.runtime.data.DataStore;
import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.job.TaskRegistry;
import dev.tessera.runtime.job.TaskType;
import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.work.worker.TaskWorker;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.junit.jupiter.api.Test;

/**
 * Lineage on a real cluster (three nodes in one JVM): an object a task made and returned is made
 * again, by running its task again, when the node holding it is gone; once released, it is not.
 */
class LineageJobTest {

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static final TaskType<Integer, DataRef<byte[]>> MAKE =
      TaskType.of("make-seeded", Integer.class, (Class<DataRef<byte[]>>) (Class) DataRef.class);

  static byte[] bytesOf(int seed) {
    byte[] bytes = new byte[2 << 20];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  private static TaskRegistry registry(ActorSystem<?> system) {
    return TaskRegistry.builder()
        .register(MAKE, seed -> {
          Data.put(system, new byte[10]); // scratch: object 0 of the task, freed with the job
          return Data.put(system, bytesOf(seed)); // object 1, named by the result
        })
        .build();
  }

  @Test
  void anObjectATaskMadeIsMadeAgainWhenItsNodeIsGone() throws Exception {
    ComputeNode client = TestNodes.start(List.of("client"), List.of());
    ComputeNode workerA = null;
    ComputeNode workerB = null;
    try {
      client.whenUp().toCompletableFuture().get(30, TimeUnit.SECONDS);
      String seed = "127.0.0.1:" + client.address().getPort().get();
      workerA = TestNodes.start(List.of("worker"), List.of(seed));
      workerB = TestNodes.start(List.of("worker"), List.of(seed));
      TestNodes.awaitUp(client, 3);
      for (ComputeNode worker : new ComputeNode[] {workerA, workerB}) {
        worker.system().systemActorOf(TaskWorker.create(registry(worker.system()), 2, 64 << 10), "task-worker",
            Props.empty());
      }

      JobResult<DataRef<byte[]>> result = WorkPulling.submit(client.system(), MAKE, List.of(7, 8),
          JobOptions.defaults()).result().toCompletableFuture().get(60, TimeUnit.SECONDS);
      assertThat(result.succeeded()).as(result.failures().toString()).isTrue();
      DataRef<byte[]> made = result.results().get(0);
      assertThat(made.lineage().index()).isEqualTo(1);
      ComputeNode holder = DataStore.get(workerA.system()).self().equals(made.owner()) ? workerA : workerB;
      holder.close();

      // Every holder is gone: the task runs again on the other worker, and the read goes on.
      byte[] read = Data.get(client.system(), made).toCompletableFuture().get(60, TimeUnit.SECONDS);
      assertThat(read).isEqualTo(bytesOf(7));

      // Released, it is not made again: the read fails, naming the object and its lost node.
      Data.release(client.system(), made).toCompletableFuture().get(10, TimeUnit.SECONDS);
      try {
        Data.get(client.system(), made).toCompletableFuture().get(30, TimeUnit.SECONDS);
        throw new AssertionError("a released object was read");
      } catch (ExecutionException e) {
        Throwable cause = e.getCause() instanceof java.util.concurrent.CompletionException ? e.getCause().getCause()
            : e.getCause();
        assertThat(cause).isInstanceOf(DataException.class).hasMessageContaining(made.id())
            .hasMessageContaining(made.owner().node()).hasMessageContaining("cannot be made again");
      }
    } finally {
      for (ComputeNode node : new ComputeNode[] {workerB, workerA, client}) {
        if (node != null) {
          node.close();
        }
      }
    }
  }
}
