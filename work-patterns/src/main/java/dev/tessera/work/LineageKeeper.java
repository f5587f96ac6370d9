package dev.tessera.work;

import dev.tessera.runtime.data.DataException;
import dev.tessera.runtime.data.DataRef;
import dev.tessera.runtime.data.DataStore;
import dev.tessera.runtime.job.JobOptions;
import dev.tessera.work.engine.InputRefs;
import dev.tessera.work.engine.JobReport;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lineage of the objects that finished jobs' results name, kept on the submitting node (as
 * Ray's owner keeps it): for each task whose result names an object it made, the task's type,
 * input and options. When a read on this node finds every holder of such an object lost, the task
 * runs again as a job of one task, and the read goes on with the object it makes (the one at the
 * same place among the task's puts). A task must be deterministic for that, as in Ray and Spark.
 *
 * <p>A recipe is forgotten once every object its task's result named is released on this node.
 * Results gathered by {@code scatterGather} keep no lineage (they are folded as they arrive).
 *
 * <p>Thread safety: any thread.
 */
final class LineageKeeper implements Extension, DataStore.Remaker {

  private static final Logger log = LoggerFactory.getLogger(LineageKeeper.class);

  static final ExtensionId<LineageKeeper> ID = new ExtensionId<>() {
    @Override
    public LineageKeeper createExtension(ActorSystem<?> system) {
      return new LineageKeeper(system);
    }
  };

  /** How to run a task again, and which objects its result named (not yet released). */
  private record Recipe(String taskType, byte[] input, JobOptions options, Set<String> objects) {}

  private final ActorSystem<?> system;
  /** By "jobId/taskId". */
  private final Map<String, Recipe> recipes = new ConcurrentHashMap<>();
  /** Objects made again, by the id of the lost one: a second read of it needs no second run. */
  private final Map<String, CompletableFuture<DataRef<?>>> remade = new ConcurrentHashMap<>();

  private LineageKeeper(ActorSystem<?> system) {
    this.system = system;
    DataStore.get(system).remakeWith(this);
  }

  static LineageKeeper get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /** Keeps the recipes of the tasks whose results name objects they made. */
  void record(JobReport report, String taskType, List<byte[]> inputs, JobOptions options) {
    List<byte[]> results = report.results();
    for (int task = 0; task < results.size(); task++) {
      Set<String> made = ConcurrentHashMap.newKeySet();
      for (DataRef<?> ref : InputRefs.refsIn(results.get(task))) {
        if (ref.lineage() != null && ref.lineage().jobId().equals(report.jobId()) && ref.lineage().taskId() == task) {
          made.add(ref.id());
        }
      }
      if (!made.isEmpty()) {
        recipes.put(report.jobId() + "/" + task, new Recipe(taskType, inputs.get(task), options, made));
      }
    }
  }

  @Override
  public CompletionStage<DataRef<?>> remake(DataRef<?> lost, DataException why) {
    DataRef.Lineage lineage = lost.lineage();
    Recipe recipe = recipes.get(lineage.jobId() + "/" + lineage.taskId());
    if (recipe == null) {
      return CompletableFuture.failedFuture(new DataException(DataException.Reason.LOST, lost.id(), why.getMessage()
          .replaceFirst("^object \\S+: ", "") + "; it cannot be made again here: no job submitted from this node"
          + " made it, or it was released"));
    }
    return remade.computeIfAbsent(lost.id(), id -> run(lost, recipe));
  }

  @Override
  public void released(DataRef<?> ref) {
    remade.remove(ref.id());
    DataRef.Lineage lineage = ref.lineage();
    if (lineage != null) {
      String key = lineage.jobId() + "/" + lineage.taskId();
      Recipe recipe = recipes.get(key);
      if (recipe != null && recipe.objects().remove(ref.id()) && recipe.objects().isEmpty()) {
        recipes.remove(key, recipe);
      }
    }
  }

  private CompletableFuture<DataRef<?>> run(DataRef<?> lost, Recipe recipe) {
    DataRef.Lineage lineage = lost.lineage();
    log.info("making {} again: running task {} of job {} ({}) again", lost, lineage.taskId(), lineage.jobId(),
        recipe.taskType());
    return WorkPulling.startEncoded(system, recipe.taskType(), List.of(recipe.input()), recipe.options(), null)
        .report().thenApply(report -> {
          if (report.results().isEmpty() || report.results().get(0) == null) {
            throw new DataException(DataException.Reason.LOST, lost.id(), "running task " + lineage.taskId()
                + " of job " + lineage.jobId() + " again failed: " + report.failures());
          }
          for (DataRef<?> ref : InputRefs.refsIn(report.results().get(0))) {
            if (ref.lineage() != null && ref.lineage().index() == lineage.index()
                && ref.lineage().jobId().equals(report.jobId())) {
              record(report, recipe.taskType(), List.of(recipe.input()), recipe.options());
              return ref;
            }
          }
          throw new DataException(DataException.Reason.LOST, lost.id(), "task " + lineage.taskId() + " of job "
              + lineage.jobId() + " ran again but put no object " + lineage.index() + " (is it deterministic?)");
        });
  }
}
