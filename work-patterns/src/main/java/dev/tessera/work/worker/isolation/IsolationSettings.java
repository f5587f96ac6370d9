package dev.tessera.work.worker.isolation;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How a node runs its isolated child JVM: {@code tessera.work-pulling.worker.isolation} and the
 * {@code isolation.max-result-bytes} (see {@code reference.conf}).
 *
 * @param heap the child's maximum heap, as {@code -Xmx} takes it ({@code 256m}, {@code 2g})
 * @param jvmOptions further options for the child JVM, after the runner's own (so they may override them)
 * @param maxResultBytes a result larger than this, serialized, is a failure that retrying cannot fix
 * @param startTimeout how long the child may take to start and load the task libraries
 * @param cancelGrace how long a handler has, once interrupted after its timeout, before the child is killed
 */
public record IsolationSettings(
    String heap, List<String> jvmOptions, int maxResultBytes, Duration startTimeout, Duration cancelGrace) {

  private static final Pattern HEAP = Pattern.compile("[1-9][0-9]*[kKmMgG]?");

  public IsolationSettings {
    Objects.requireNonNull(heap, "heap");
    Objects.requireNonNull(startTimeout, "startTimeout");
    Objects.requireNonNull(cancelGrace, "cancelGrace");
    jvmOptions = List.copyOf(Objects.requireNonNull(jvmOptions, "jvmOptions"));
    if (!HEAP.matcher(heap).matches()) {
      throw new IllegalArgumentException("heap must be a size as -Xmx takes it (256m, 2g), got '" + heap + "'");
    }
    if (maxResultBytes < 1) {
      throw new IllegalArgumentException("maxResultBytes must be positive, got " + maxResultBytes);
    }
    if (startTimeout.isNegative() || startTimeout.isZero()) {
      throw new IllegalArgumentException("startTimeout must be positive, got " + startTimeout);
    }
    if (cancelGrace.isNegative()) {
      throw new IllegalArgumentException("cancelGrace must not be negative, got " + cancelGrace);
    }
  }

  /** The defaults of {@code reference.conf}. */
  public static IsolationSettings defaults() {
    return new IsolationSettings("256m", List.of(), 256 << 20, Duration.ofSeconds(30), Duration.ofSeconds(1));
  }

  /** Reads {@code tessera.work-pulling.worker} of a node's (resolved) config. */
  public static IsolationSettings create(Config config) {
    Config worker = config.getConfig("tessera.work-pulling.worker");
    Config isolation = worker.getConfig("isolation");
    return new IsolationSettings(
        isolation.getString("heap"),
        isolation.getStringList("jvm-options"),
        (int) Math.min(Integer.MAX_VALUE, isolation.getBytes("max-result-bytes")),
        isolation.getDuration("start-timeout"),
        isolation.getDuration("cancel-grace"));
  }

  public IsolationSettings withHeap(String heap) {
    return new IsolationSettings(heap, jvmOptions, maxResultBytes, startTimeout, cancelGrace);
  }

  public IsolationSettings withJvmOptions(List<String> jvmOptions) {
    return new IsolationSettings(heap, jvmOptions, maxResultBytes, startTimeout, cancelGrace);
  }

  public IsolationSettings withMaxResultBytes(int maxResultBytes) {
    return new IsolationSettings(heap, jvmOptions, maxResultBytes, startTimeout, cancelGrace);
  }

  public IsolationSettings withCancelGrace(Duration cancelGrace) {
    return new IsolationSettings(heap, jvmOptions, maxResultBytes, startTimeout, cancelGrace);
  }
}
