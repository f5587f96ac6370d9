package dev.tessera.chaos.harness;

import dev.tessera.runtime.job.TaskLibrary;
import dev.tessera.runtime.job.TaskRegistry;
import dev.tessera.runtime.job.TaskType;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;

/**
 * A planted bug: a task that is not safe to retry. Its first execution leaves a marker file and
 * returns the square of its index; any later execution finds the marker and returns the square
 * plus one, as a task that appends to external state or reads its own half-written output would.
 * Without faults nothing runs twice and every result is right, so only a chaos run can show it.
 */
public final class RetryUnsafeJob implements ChaosJob<RetryUnsafeJob.Task, Long>, TaskLibrary {

  public record Task(int index, String workDir) {}

  public static final TaskType<Task, Long> RETRY_UNSAFE = TaskType.of("chaos.retry-unsafe-square", Task.class, Long.class);

  @Override
  public TaskType<Task, Long> taskType() {
    return RETRY_UNSAFE;
  }

  @Override
  public void register(TaskRegistry.Builder registry) {
    registry.register(RETRY_UNSAFE, RetryUnsafeJob::run);
  }

  @Override
  public List<Task> inputs(Context context) {
    int tasks = (int) (context.nodes() * HashChainJob.CAPACITY * 50 * 0.8 * context.duration().toSeconds());
    String dir = context.workDir().toString();
    return IntStream.range(0, tasks).mapToObj(i -> new Task(i, dir)).toList();
  }

  @Override
  public List<Long> reference(List<Task> inputs, Context context) {
    return inputs.stream().map(task -> (long) task.index() * task.index()).toList();
  }

  @Override
  public List<Execution> executions(Context context) throws java.io.IOException {
    return HashChainJob.readExecutions(context.workDir());
  }

  static long run(Task task) throws Exception {
    Path dir = Path.of(task.workDir());
    HashChainJob.recordExecution(dir, task.index());
    long square = (long) task.index() * task.index();
    boolean first;
    try {
      Files.createFile(Files.createDirectories(dir.resolve("ran")).resolve(Integer.toString(task.index())));
      first = true;
    } catch (FileAlreadyExistsException e) {
      first = false;
    }
    Thread.sleep(20);
    return first ? square : square + 1;
  }
}
