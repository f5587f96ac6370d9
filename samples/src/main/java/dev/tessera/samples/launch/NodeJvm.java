package dev.tessera.samples.launch;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * How a sample's local node processes are started: their maximum heap, whether their collector is
 * set up for tasks that hold large arrays, and variables added to their environment (such as
 * {@code OPENBLAS_NUM_THREADS}, which a native library reads once, when it loads).
 *
 * @param heap maximum heap, as -Xmx takes it: {@code 256m}, {@code 2g}
 * @param largeArrays for tasks that hold arrays of megabytes: the whole heap is committed at
 *     start (so the young generation is a third of it at once, not of a small initial heap), and
 *     arrays of 1 MiB or more are allocated in the old generation directly, so that no collection
 *     of the young generation copies them (with the serial collector the nodes run, copying a
 *     few hundred MB of live panels took 0.3 to 1.3 s a collection on a busy machine, long enough
 *     for a worker to be taken for dead), and every page of the heap is touched at start
 *     ({@code -XX:+AlwaysPreTouch}), so that a task's first arrays do not pay the kernel for each
 *     new page (on this project's 2-core VM, zeroing fresh pages took a sixth of a matrix
 *     multiply's CPU)
 * @param environment variables set for the node processes only, not for the sample's own JVM
 */
public record NodeJvm(String heap, boolean largeArrays, Map<String, String> environment) {

  /** The heap of the samples' nodes unless a sample asks for more. */
  public static final String DEFAULT_HEAP = "256m";
  /** What the samples' nodes get unless a sample asks for more. */
  public static final NodeJvm DEFAULT = new NodeJvm(DEFAULT_HEAP, false, Map.of());

  public NodeJvm {
    Objects.requireNonNull(heap, "heap");
    if (!heap.matches("[1-9][0-9]*[kKmMgG]?")) {
      throw new IllegalArgumentException("--node-heap: '" + heap + "' is not a size as -Xmx takes it (512m, 2g)");
    }
    environment = Map.copyOf(environment);
    for (String name : environment.keySet()) {
      if (!name.matches("[A-Za-z_][A-Za-z0-9_]*") || name.equals("JAVA_TOOL_OPTIONS")) {
        throw new IllegalArgumentException("'" + name + "' is not an environment variable a sample may set for its nodes");
      }
    }
  }

  public NodeJvm withHeap(String value) {
    return new NodeJvm(value, largeArrays, environment);
  }

  /**
   * The command a node's JVM is started through: {@code env NAME=value ...}, or none. The options
   * for large arrays travel in {@code JAVA_TOOL_OPTIONS}, which the JVM reads before its command
   * line (the node's log then starts with "Picked up JAVA_TOOL_OPTIONS").
   */
  List<String> launchPrefix() {
    Map<String, String> variables = new TreeMap<>(environment);
    if (largeArrays) {
      variables.put("JAVA_TOOL_OPTIONS", "-Xms" + heap + " -XX:PretenureSizeThreshold=1m -XX:+AlwaysPreTouch");
    }
    if (variables.isEmpty()) {
      return List.of();
    }
    List<String> prefix = new ArrayList<>(List.of("env"));
    variables.forEach((name, value) -> prefix.add(name + "=" + value));
    return prefix;
  }

  /** "heap 256m", then the rest: "heap 1g, for large arrays, OPENBLAS_NUM_THREADS=1". */
  @Override
  public String toString() {
    StringBuilder text = new StringBuilder("heap ").append(heap);
    if (largeArrays) {
      text.append(", for large arrays");
    }
    new TreeMap<>(environment).forEach((name, value) -> text.append(", ").append(name).append('=').append(value));
    return text.toString();
  }
}
