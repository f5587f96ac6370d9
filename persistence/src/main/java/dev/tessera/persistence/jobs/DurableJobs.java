package dev.tessera.persistence.jobs;

import com.typesafe.config.Config;
import dev.tessera.persistence.journal.JournalHealth;
import dev.tessera.persistence.journal.JournalPlugins;
import dev.tessera.persistence.journal.JournalWarmUp;
import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.job.PayloadCodec;
import dev.tessera.runtime.job.TaskType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.ClusterSingletonSettings;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Durable jobs: work-pulling jobs whose state lives in the journal, so they survive the loss of any
 * node (the one coordinating them included) and a restart of the whole cluster.
 *
 * <pre>{@code
 * DurableJobHandle<Long> job = DurableJobs.submit(system, SQUARE, inputs, JobOptions.defaults());
 * JobResult<Long> result = job.result().toCompletableFuture().get();
 * // later, from any node, even after the submitter is gone:
 * DurableJobHandle<Long> again = DurableJobs.attach(system, job.id(), SQUARE);
 * }</pre>
 *
 * <p>Every node that should coordinate durable jobs, or submit them, runs this extension ({@code
 * tessera.persistence.jobs.enabled = on}, which `tessera local` sets); all of them must share one
 * journal (an H2 server or PostgreSQL, see the module README). Each job's coordinator is a sharded
 * entity; a cluster singleton keeps the list of jobs and wakes unfinished ones.
 *
 * <p>Threading: the static methods may be called from any thread.
 */
public final class DurableJobs implements Extension {

  private static final Logger log = LoggerFactory.getLogger(DurableJobs.class);
  private static final PayloadCodec CODEC = new PayloadCodec();
  /** Inputs travel to the coordinator in chunks of at most this size (a remote message's limit is 256 KiB). */
  static final int MAX_CHUNK_BYTES = 128 * 1024;
  static final int MAX_CHUNK_TASKS = 10_000;

  private static final ExtensionId<DurableJobs> ID = new ExtensionId<>() {
    @Override
    public DurableJobs createExtension(ActorSystem<?> system) {
      return new DurableJobs(system);
    }
  };

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final ActorRef<JobRegistry.Command> registry;
  private final Duration askTimeout;
  private final Duration submissionTimeout;

  /**
   * The durable jobs of this node's cluster; the first call starts them here (journal schema, the
   * job entities, the registry).
   *
   * @throws IllegalStateException when durable jobs are off on this node, or its journal cannot be reached
   */
  public static DurableJobs get(ActorSystem<?> system) {
    return system.registerExtension(ID);
  }

  private DurableJobs(ActorSystem<?> system) {
    this.system = system;
    Config config = system.settings().config().getConfig("tessera.persistence.jobs");
    if (!config.getBoolean("enabled")) {
      throw new IllegalStateException("durable jobs are off on this node: set tessera.persistence.jobs.enabled = on on"
          + " every node, with a journal all of them share (an H2 server or PostgreSQL; see persistence/README.md)");
    }
    this.askTimeout = config.getDuration("ask-timeout");
    this.submissionTimeout = config.getDuration("submission-timeout");
    createSchema(system);
    // Paid now, not by the first job that fails over to this node (JournalWarmUp, RecoveryWarmUp).
    system.systemActorOf(JournalWarmUp.create(), "tessera-journal-warm-up", Props.empty());
    CompletableFuture.runAsync(() -> RecoveryWarmUp.run(system), system.dispatchers().lookup(DispatcherSelector.blocking()))
        .exceptionally(error -> {
          log.warn("warming up the recovery of jobs failed (recoveries will be slower, nothing else changes): {}",
              error.toString());
          return null;
        });
    int snapshotEvery = config.getInt("snapshot-every");
    Duration wakeInterval = config.getDuration("wake-interval");
    String role = config.getString("role");
    this.sharding = ClusterSharding.get(system);
    ClusterSingletonSettings singletonSettings = ClusterSingletonSettings.create(system);
    if (!role.isEmpty()) {
      singletonSettings = singletonSettings.withRole(role);
    }
    this.registry = ClusterSingleton.get(system).init(SingletonActor.of(
            Behaviors.supervise(JobRegistry.create(
                    jobId -> sharding.entityRefFor(DurableJobCoordinator.ENTITY_TYPE, jobId)
                        .tell(new DurableJobCoordinator.Wake()),
                    wakeInterval))
                .onFailure(SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(10), 0.2)),
            "tessera-job-registry")
        .withSettings(singletonSettings));
    Entity<DurableJobCoordinator.Command, ?> entity = Entity.of(
            DurableJobCoordinator.ENTITY_TYPE,
            ctx -> DurableJobCoordinator.create(ctx.getEntityId(), registry, snapshotEvery, ctx.getShard()))
        // A running job's workers talk to its actor directly, not through sharding: idle-based
        // passivation would stop it mid-job. A coordinator stays until its node leaves.
        .withSettings(ClusterShardingSettings.create(system).withNoPassivationStrategy())
        // Written buffered commits before it stops, when its node leaves (DurableJobCoordinator.onHandOff).
        .withStopMessage(DurableJobCoordinator.handOffMessage());
    if (!role.isEmpty()) {
      entity = entity.withRole(role);
    }
    sharding.init(entity);
    log.info("durable jobs started on {} (coordinators on {}, snapshot every {} events)", system.address(),
        role.isEmpty() ? "every node" : "nodes with role '" + role + "'", snapshotEvery);
  }

  private static void createSchema(ActorSystem<?> system) {
    String url = system.settings().config().getString("tessera.persistence.jdbc.url");
    try {
      JournalPlugins.createSchema(system).toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating the journal schema at " + url, e);
    } catch (ExecutionException | TimeoutException e) {
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      throw new IllegalStateException("the journal at " + url + " cannot be used: " + cause, cause);
    }
  }

  /** The job registry (a cluster singleton's proxy). */
  public ActorRef<JobRegistry.Command> registry() {
    return registry;
  }

  /** The coordinator of a job, wherever it runs. */
  public EntityRef<DurableJobCoordinator.Command> coordinator(String jobId) {
    return sharding.entityRefFor(DurableJobCoordinator.ENTITY_TYPE, jobId);
  }

  Duration askTimeout() {
    return askTimeout;
  }

  ActorSystem<?> system() {
    return system;
  }

  /**
   * Submits a durable job of one task per input. The returned handle's {@link
   * DurableJobHandle#submitted()} completes once the job and all its inputs are in the journal;
   * from then on it survives any crash.
   *
   * <p>A submission is all or nothing: no task runs before every input is in the journal. If {@code
   * submitted()} fails (the journal cannot be written, no coordinator answers), its error says why;
   * the job then runs nothing, and is dropped ({@code abandoned}) after {@code submission-timeout}.
   * Submitting the same inputs again under the same id ({@link #submit(ActorSystem, String, TaskType,
   * List, JobOptions)}) is safe: it completes the submission, or starts it over.
   *
   * @throws IllegalArgumentException naming the input when one cannot be serialized (nothing is submitted)
   */
  public static <I, O> DurableJobHandle<O> submit(
      ActorSystem<?> system, TaskType<I, O> type, List<I> inputs, JobOptions options) {
    Objects.requireNonNull(type, "type");
    return submit(system, type.name() + "-" + UUID.randomUUID(), type, inputs, options);
  }

  /**
   * Submits a durable job under a job id of the caller's, like {@link #submit(ActorSystem, TaskType,
   * List, JobOptions)}; submitting the same job again under the same id changes nothing, completes
   * a submission that was cut off, or starts over one that was abandoned. Other inputs under an id
   * already taken are refused.
   */
  public static <I, O> DurableJobHandle<O> submit(
      ActorSystem<?> system, String jobId, TaskType<I, O> type, List<I> inputs, JobOptions options) {
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(inputs, "inputs");
    Objects.requireNonNull(options, "options");
    List<byte[]> encoded = CODEC.encodeInputs(type, inputs);
    DurableJobs jobs = get(system);
    CompletionStage<Done> submitted = jobs.submitEncoded(jobId, type.name(), encoded, options);
    return new DurableJobHandle<>(jobs, jobId, type, submitted);
  }

  /** A handle on a job submitted earlier (by this node or another, before or after a restart). */
  public static <O> DurableJobHandle<O> attach(ActorSystem<?> system, String jobId, TaskType<?, O> type) {
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(type, "type");
    return new DurableJobHandle<>(get(system), jobId, type, CompletableFuture.completedFuture(Done.getInstance()));
  }

  /** Where a job stands (state {@code unknown} if nothing was submitted under this id). */
  public static CompletionStage<JobStatus> status(ActorSystem<?> system, String jobId) {
    DurableJobs jobs = get(system);
    return jobs.coordinator(jobId).ask(DurableJobCoordinator.GetStatus::new, jobs.askTimeout);
  }

  /** Every job the cluster knows, oldest first. */
  public static CompletionStage<List<JobRegistry.Entry>> list(ActorSystem<?> system) {
    DurableJobs jobs = get(system);
    return AskPattern.<JobRegistry.Command, JobRegistry.JobList>ask(
            jobs.registry, JobRegistry.ListJobs::new, jobs.askTimeout, system.scheduler())
        .thenApply(JobRegistry.JobList::jobs);
  }

  /** Cancels a running job; its results so far stay readable. */
  public static CompletionStage<Done> cancel(ActorSystem<?> system, String jobId) {
    DurableJobs jobs = get(system);
    return jobs.coordinator(jobId).askWithStatus(DurableJobCoordinator.Cancel::new, jobs.askTimeout);
  }

  /**
   * Deletes the journal entries of jobs that ended more than {@code retention} ago, and forgets
   * them. Running jobs are never purged, nor unreadable ones (an operator should see those).
   *
   * @return the ids of the purged jobs
   */
  public static CompletionStage<List<String>> purge(ActorSystem<?> system, Duration retention) {
    DurableJobs jobs = get(system);
    long cutoff = Instant.now().minus(retention).toEpochMilli();
    return list(system).thenCompose(entries -> {
      List<String> purged = new ArrayList<>();
      CompletionStage<Done> chain = CompletableFuture.completedFuture(Done.getInstance());
      for (JobRegistry.Entry entry : entries) {
        // An unreadable job is left for an operator to look at: its coordinator cannot even start.
        boolean ended = !entry.state().equals(JobStatus.RUNNING) && !entry.state().equals(JobStatus.UNREADABLE);
        if (ended && entry.endedAtMillis() < cutoff) {
          chain = chain
              .thenCompose(d -> jobs.coordinator(entry.jobId())
                  .<Done>askWithStatus(DurableJobCoordinator.Purge::new, jobs.askTimeout))
              .thenCompose(d -> AskPattern.<JobRegistry.Command, org.apache.pekko.pattern.StatusReply<Done>>ask(
                  jobs.registry, reply -> new JobRegistry.Forget(entry.jobId(), reply), jobs.askTimeout,
                  system.scheduler()))
              .thenApply(reply -> {
                purged.add(entry.jobId());
                return Done.getInstance();
              });
        }
      }
      return chain.thenApply(d -> List.copyOf(purged));
    });
  }

  private CompletionStage<Done> submitEncoded(String jobId, String taskType, List<byte[]> inputs, JobOptions options) {
    EntityRef<DurableJobCoordinator.Command> coordinator = coordinator(jobId);
    // Every step is idempotent, so a step whose answer is lost (a coordinator that is just being
    // allocated, or moving because its node died) is simply asked again.
    CompletionStage<Done> chain = retrying("registering job " + jobId, () -> AskPattern
            .<JobRegistry.Command, org.apache.pekko.pattern.StatusReply<Done>>ask(
                registry, reply -> new JobRegistry.Register(jobId, taskType, System.currentTimeMillis(), reply),
                askTimeout, system.scheduler())
            .thenApply(org.apache.pekko.pattern.StatusReply::getValue))
        .thenCompose(d -> retrying("submitting job " + jobId, () -> coordinator.askWithStatus(
            reply -> new DurableJobCoordinator.Submit(taskType, options, system.address().toString(), reply),
            askTimeout)));
    int from = 0;
    do {
      int start = from;
      int end = start;
      long bytes = 0;
      while (end < inputs.size() && end - start < MAX_CHUNK_TASKS
          && (end == start || bytes + inputs.get(end).length < MAX_CHUNK_BYTES)) {
        bytes += inputs.get(end).length;
        end++;
      }
      List<byte[]> chunk = inputs.subList(start, end);
      boolean last = end == inputs.size();
      chain = chain.thenCompose(d -> retrying("adding inputs from task " + start + " to job " + jobId,
          () -> coordinator.askWithStatus(reply -> new DurableJobCoordinator.AddInputs(start, chunk, last, reply),
              askTimeout)));
      from = end;
    } while (from < inputs.size());
    return chain.handle((done, error) -> {
      if (error == null) {
        return CompletableFuture.completedFuture(done);
      }
      Throwable cause = error instanceof java.util.concurrent.CompletionException ? error.getCause() : error;
      String message = "job " + jobId + " was not submitted: " + cause.getMessage() + ". None of its tasks runs"
          + " before all its inputs are recorded; it is dropped (state abandoned) after "
          + submissionTimeout.toSeconds() + " s without the rest. Submitting it again under the same id is safe"
          + " (DurableJobs.submit(system, \"" + jobId + "\", ...)): it completes the submission or starts it over.";
      log.error("{}", message);
      return CompletableFuture.<Done>failedFuture(new IllegalStateException(message, cause));
    }).thenCompose(stage -> stage);
  }

  /** Submit steps are tried this often before the submission fails. */
  static final int SUBMIT_ATTEMPTS = 4;

  private <T> CompletionStage<T> retrying(String what, java.util.function.Supplier<CompletionStage<T>> step) {
    return retrying(what, step, 1);
  }

  private <T> CompletionStage<T> retrying(String what, java.util.function.Supplier<CompletionStage<T>> step, int attempt) {
    return step.get().handle((value, error) -> {
      if (error == null) {
        return CompletableFuture.completedFuture(value);
      }
      Throwable cause = error instanceof java.util.concurrent.CompletionException ? error.getCause() : error;
      boolean timedOut = cause instanceof org.apache.pekko.pattern.AskTimeoutException || cause instanceof TimeoutException;
      if (timedOut && attempt < SUBMIT_ATTEMPTS) {
        log.info("{}: no answer within {} ms (attempt {} of {}); asking again", what, askTimeout.toMillis(), attempt,
            SUBMIT_ATTEMPTS);
        return retrying(what, step, attempt + 1);
      }
      return CompletableFuture.<T>failedFuture(timedOut
          ? new IllegalStateException(what + ": no answer in " + attempt + " tries of " + askTimeout.toMillis()
              + " ms (" + JournalHealth.get(system).failure().map(f -> "this node's " + f.describe())
                  .orElse("are nodes with durable jobs up, and is the journal reachable?") + ")", cause)
          : cause);
    }).thenCompose(stage -> stage);
  }

  static PayloadCodec codec() {
    return CODEC;
  }
}
