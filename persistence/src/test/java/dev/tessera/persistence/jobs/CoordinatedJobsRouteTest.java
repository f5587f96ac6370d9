package dev.tessera.persistence.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.tessera.runtime.job.JobOptions;
import dev.tessera.work.protocol.CoordinatorMessage;
import dev.tessera.work.protocol.ProtocolInbox;
import dev.tessera.work.protocol.TaskOutcome;
import dev.tessera.work.protocol.WorkerMessage;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /jobs/coordinating} on a real management endpoint (loaded from {@code reference.conf}
 * with the cluster's own routes, read-only, on a free port), asked over HTTP as the chaos harness
 * asks it: a job is listed while its coordinator hands out its tasks, and not once it has ended or
 * its coordinator has stopped. The asker is no cluster member (a plain HTTP client); the node is a
 * cluster of one with the worker role, so the job's coordinator hands out its tasks.
 */
class CoordinatedJobsRouteTest {

  private static final ActorTestKit testKit = ActorTestKit.create("coordinated", PersistenceTestKitPlugin.getInstance().config()
      .withFallback(PersistenceTestKitSnapshotPlugin.config())
      .withFallback(ConfigFactory.parseString("pekko.actor.provider = cluster\n"
          + "pekko.cluster.roles = [worker]\n"
          + "pekko.remote.artery.canonical.hostname = 127.0.0.1\n"
          + "pekko.remote.artery.canonical.port = 0\n"
          + "pekko.management.http.hostname = 127.0.0.1\n"
          + "pekko.management.http.port = 0\n"
          + "pekko.management.http.route-providers-read-only = true\n"
          + "tessera.persistence.journal-plugin = \"" + PersistenceTestKitPlugin.PluginId() + "\"\n"
          + "tessera.persistence.snapshot-plugin = \"" + PersistenceTestKitSnapshotPlugin.PluginId() + "\"\n"))
      .withFallback(ConfigFactory.load()));

  private static URI endpoint;
  private final CoordinatedJobsClient client = new CoordinatedJobsClient(Duration.ofSeconds(5));
  private final TestProbe<JobRegistry.Command> registry = testKit.createTestProbe();
  private final String jobId = "job-" + UUID.randomUUID();

  @BeforeAll
  static void startManagement() throws Exception {
    Cluster cluster = Cluster.get(testKit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    endpoint = URI.create(PekkoManagement.get(Adapter.toClassic(testKit.system())).start()
        .toCompletableFuture().get(30, TimeUnit.SECONDS).toString());
  }

  @AfterAll
  static void shutDown() {
    testKit.shutdownTestKit();
  }

  private CoordinatedJobs.Report ask() throws Exception {
    return client.fetch(endpoint.getHost(), endpoint.getPort());
  }

  private static ActorRef<CoordinatorMessage> fromWorkers(ActorRef<?> coordinator) {
    return ProtocolInbox.of(CoordinatorMessage.class, coordinator);
  }

  /** Submits a job of {@code tasks} tasks: its coordinator starts handing them out. */
  private ActorRef<DurableJobCoordinator.Command> submitted(int tasks) {
    ActorRef<DurableJobCoordinator.Command> job = testKit.spawn(DurableJobCoordinator.create(jobId, registry.getRef(), 100));
    TestProbe<StatusReply<Done>> ack = testKit.createTestProbe();
    job.tell(new DurableJobCoordinator.Submit("echo", JobOptions.defaults().withBatchSize(tasks), "test", ack.getRef()));
    assertThat(ack.receiveMessage(Duration.ofSeconds(10)).isSuccess()).isTrue();
    List<byte[]> inputs = IntStream.range(0, tasks).mapToObj(i -> ("in-" + i).getBytes(StandardCharsets.UTF_8)).toList();
    job.tell(new DurableJobCoordinator.AddInputs(0, inputs, true, ack.getRef()));
    assertThat(ack.receiveMessage(Duration.ofSeconds(10)).isSuccess()).isTrue();
    return job;
  }

  @Test
  void listsAJobWhileItsCoordinatorRunsItAndNotAfterItEnds() throws Exception {
    long before = System.currentTimeMillis();
    ActorRef<DurableJobCoordinator.Command> job = submitted(2);

    CoordinatedJobs.Report running = ask();
    assertThat(running.node()).isEqualTo(testKit.system().address().toString());
    CoordinatedJobs.CoordinatedJob listed = running.jobs().stream().filter(j -> j.jobId().equals(jobId)).findFirst()
        .orElseThrow(() -> new AssertionError("job " + jobId + " not listed while it runs: " + running));
    assertThat(listed.sinceMillis()).isBetween(before, System.currentTimeMillis());
    TestProbe<JobStatus> status = testKit.createTestProbe();
    job.tell(new DurableJobCoordinator.GetStatus(status.getRef()));
    assertThat(status.receiveMessage(Duration.ofSeconds(10)).coordinatingSinceMillis()).isEqualTo(listed.sinceMillis());

    TestProbe<WorkerMessage> worker = testKit.createTestProbe();
    fromWorkers(job).tell(new CoordinatorMessage.RequestWork(worker.getRef(), 2));
    List<WorkerMessage.TaskAssignment> tasks = worker.expectMessageClass(WorkerMessage.WorkBatch.class).tasks();
    fromWorkers(job).tell(new CoordinatorMessage.Outcomes(worker.getRef(), tasks.stream()
        .<TaskOutcome>map(t -> new TaskOutcome.Succeeded(t.taskId(), t.attempt(), new byte[] {1})).toList(), 2));
    job.tell(new DurableJobCoordinator.AwaitEnd(status.getRef()));
    JobStatus ended = status.receiveMessage(Duration.ofSeconds(10));
    assertThat(ended.state()).isEqualTo(JobStatus.FINISHED);
    assertThat(ended.coordinatingSinceMillis()).isZero();

    assertThat(ask().jobs()).extracting(CoordinatedJobs.CoordinatedJob::jobId).doesNotContain(jobId);
    testKit.stop(job);
  }

  @Test
  void aStoppedCoordinatorIsNoLongerListed() throws Exception {
    ActorRef<DurableJobCoordinator.Command> job = submitted(3);
    assertThat(ask().jobs()).extracting(CoordinatedJobs.CoordinatedJob::jobId).contains(jobId);

    testKit.stop(job); // as when sharding hands the job over or passivates it

    assertThat(ask().jobs()).extracting(CoordinatedJobs.CoordinatedJob::jobId).doesNotContain(jobId);
  }
}
