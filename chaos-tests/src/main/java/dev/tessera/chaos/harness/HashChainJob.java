package dev.tessera.chaos.harness;

import dev.tessera.runtime.job.TaskLibrary;
import dev.tessera.runtime.job.TaskRegistry;
import dev.tessera.runtime.job.TaskType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * The chaos suite's own job (what {@code chaos} runs without {@code --job}): each task hashes its
 * index {@value #ROUNDS} times with SHA-256 after a pause of {@value #PAUSE_MILLIS} ms (a task that
 * waits on I/O, so several share a core), recording each execution's start in {@code
 * executions-<pid>.log} in the work folder before it begins. Two tasks, drawn from the seed, are
 * poisoned: they fail on every attempt.
 *
 * <p>The job is sized at its nodes' nominal rate for the run's duration: nodes x {@value #CAPACITY}
 * task threads (the harness configures that many) x 1000 / {@value #PAUSE_MILLIS} tasks a second.
 * On 2 shared cores the nodes reach about half that, so the job outlasts the faults.
 */
public final class HashChainJob implements ChaosJob<HashChainJob.Task, Long>, TaskLibrary {

  /** One task: its index, and where to record its executions. */
  public record Task(int index, boolean poisoned, String workDir) {}

  public static final TaskType<Task, Long> HASH_CHAIN = TaskType.of("chaos.hash-chain", Task.class, Long.class);

  static final int ROUNDS = 200;
  static final int PAUSE_MILLIS = 20;
  /** Task threads per node in a chaos run (the harness sets {@code tessera.work-pulling.worker.capacity}). */
  public static final int CAPACITY = 4;
  private static final int POISONED = 2;

  @Override
  public TaskType<Task, Long> taskType() {
    return HASH_CHAIN;
  }

  @Override
  public void register(TaskRegistry.Builder registry) {
    registry.register(HASH_CHAIN, HashChainJob::run);
  }

  @Override
  public List<Task> inputs(Context context) {
    int tasks = (int) Math.max(200, context.nodes() * CAPACITY * (1000.0 / PAUSE_MILLIS) * context.duration().toSeconds());
    SplittableRandom random = new SplittableRandom(context.seed());
    Set<Integer> poisoned = new TreeSet<>();
    while (poisoned.size() < POISONED) {
      poisoned.add(random.nextInt(tasks));
    }
    String dir = context.workDir().toString();
    return IntStream.range(0, tasks).mapToObj(i -> new Task(i, poisoned.contains(i), dir)).toList();
  }

  @Override
  public List<Long> reference(List<Task> inputs, Context context) {
    return inputs.stream().map(task -> task.poisoned() ? null : chain(task.index())).toList();
  }

  @Override
  public Set<Integer> poisoned(List<Task> inputs) {
    Set<Integer> poisoned = new TreeSet<>();
    inputs.stream().filter(Task::poisoned).forEach(task -> poisoned.add(task.index()));
    return poisoned;
  }

  @Override
  public List<Execution> executions(Context context) throws IOException {
    return readExecutions(context.workDir());
  }

  static long run(Task task) throws Exception {
    recordExecution(Path.of(task.workDir()), task.index());
    Thread.sleep(PAUSE_MILLIS);
    if (task.poisoned()) {
      throw new IllegalStateException("task " + task.index() + " is poisoned: it fails on every attempt");
    }
    return chain(task.index());
  }

  /** SHA-256 applied {@value #ROUNDS} times to the index; the first 8 bytes. */
  static long chain(int index) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      byte[] value = Integer.toString(index).getBytes(StandardCharsets.US_ASCII);
      for (int i = 0; i < ROUNDS; i++) {
        value = sha.digest(value);
      }
      return ByteBuffer.wrap(value).getLong();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  /** Appends "task pid startMillis" to {@code executions-<pid>.log} (one small O_APPEND write). */
  public static void recordExecution(Path workDir, int task) throws IOException {
    long pid = ProcessHandle.current().pid();
    Files.writeString(workDir.resolve("executions-" + pid + ".log"), task + " " + pid + " " + System.currentTimeMillis() + "\n",
        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  /** Every execution recorded in {@code workDir} by {@link #recordExecution}. */
  public static List<Execution> readExecutions(Path workDir) throws IOException {
    List<Execution> executions = new ArrayList<>();
    if (!Files.isDirectory(workDir)) {
      return executions;
    }
    try (Stream<Path> files = Files.list(workDir)) {
      for (Path file : files.filter(f -> f.getFileName().toString().startsWith("executions-")).toList()) {
        for (String line : Files.readAllLines(file)) {
          String[] parts = line.trim().split(" ");
          if (parts.length == 3) { // a node killed mid-write may leave a partial last line
            executions.add(new Execution(Integer.parseInt(parts[0]), Long.parseLong(parts[1]), Long.parseLong(parts[2])));
          }
        }
      }
    }
    return executions;
  }
}
