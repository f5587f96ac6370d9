package dev.tessera.work;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.runtime.data.Data;
import dev.tessera.runtime.data.DataRef;
import dev.tessera.runtime.data.DataStore;
import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.job.TaskRegistry;
import dev.tessera.runtime.job.TaskType;
import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.work.worker.TaskWorker;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Locality on a real cluster (three nodes in one JVM): tasks whose input refers to objects on a
 * worker node run on that node, and no object crosses the network.
 */
class LocalityJobTest {

  /** A task's input: the object it reads. */
  record Read(DataRef<byte[]> object) {}

  /** Where the task ran, and how many bytes it read. */
  record Ran(String node, int bytes) {}

  private static final TaskType<Read, Ran> READ = TaskType.of("read-where", Read.class, Ran.class);

  private static ComputeNode client;
  private static ComputeNode workerA;
  private static ComputeNode workerB;

  private static TaskRegistry registry(ActorSystem<?> system) {
    return TaskRegistry.builder()
        .register(READ, read -> new Ran(system.address().toString(),
            Data.get(system, read.object()).toCompletableFuture().get(30, TimeUnit.SECONDS).length))
        .build();
  }

  @BeforeAll
  static void startCluster() throws Exception {
    client = TestNodes.start(List.of("client"), List.of());
    client.whenUp().toCompletableFuture().get(30, TimeUnit.SECONDS);
    String seed = "127.0.0.1:" + client.address().getPort().get();
    workerA = TestNodes.start(List.of("worker"), List.of(seed));
    workerB = TestNodes.start(List.of("worker"), List.of(seed));
    TestNodes.awaitUp(client, 3);
    workerA.system().systemActorOf(TaskWorker.create(registry(workerA.system()), 2, 64 << 10), "task-worker",
        Props.empty());
    workerB.system().systemActorOf(TaskWorker.create(registry(workerB.system()), 2, 64 << 10), "task-worker",
        Props.empty());
  }

  @AfterAll
  static void stopCluster() {
    for (ComputeNode node : new ComputeNode[] {workerB, workerA, client}) {
      if (node != null) {
        node.close();
      }
    }
  }

  @Test
  void tasksOnANodesOwnObjectsRunThere() throws Exception {
    List<Read> inputs = new ArrayList<>();
    List<String> owners = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      ComputeNode holder = i % 3 == 0 ? workerB : workerA; // uneven: 8 on A, 4 on B
      inputs.add(new Read(Data.put(holder.system(), new byte[(1 << 20) + i])));
      owners.add(holder.system().address().toString());
    }
    long fetchesBefore = DataStore.get(workerA.system()).transfersStarted()
        + DataStore.get(workerB.system()).transfersStarted();

    JobResult<Ran> result = WorkPulling.submit(client.system(), READ, inputs, JobOptions.defaults())
        .result().toCompletableFuture().get(60, TimeUnit.SECONDS);

    assertThat(result.succeeded()).as(result.failures().toString()).isTrue();
    for (int i = 0; i < inputs.size(); i++) {
      assertThat(result.results().get(i).node()).as("task %d ran where its object is", i).isEqualTo(owners.get(i));
      assertThat(result.results().get(i).bytes()).isEqualTo((1 << 20) + i);
    }
    assertThat(DataStore.get(workerA.system()).transfersStarted() + DataStore.get(workerB.system()).transfersStarted())
        .as("no object crossed the network").isEqualTo(fetchesBefore);
    for (Read read : inputs) {
      Data.release(client.system(), read.object()).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
