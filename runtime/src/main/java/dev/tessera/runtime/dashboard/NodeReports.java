package dev.tessera.runtime.dashboard;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Builds a node's {@link NodeReport} from its meters (the worker's task durations and slots, the
 * GPUs' calls and memory) and its {@link JobBoard}. Rates are measured over the last few seconds of
 * reports. Used by the node's {@link DashboardActor} only.
 */
final class NodeReports {

  private static final long RATE_WINDOW_MILLIS = 5_000;

  private final String node;
  private final MeterRegistry registry;
  private final JobBoard board;
  private final Deque<long[]> taskSamples = new ArrayDeque<>(); // {millis, tasks run}
  private final Map<String, Deque<long[]>> gpuSamples = new HashMap<>();

  NodeReports(String node, MeterRegistry registry, JobBoard board) {
    this.node = node;
    this.registry = registry;
    this.board = board;
  }

  NodeReport next() {
    long now = System.currentTimeMillis();
    long run = 0;
    for (Timer t : registry.find("tessera.task.duration").timers()) {
      run += t.count();
    }
    double rate = rate(taskSamples, now, run);
    int busy = (int) gauge("tessera.worker.slots.busy");
    int slots = (int) gauge("tessera.worker.slots");
    return new NodeReport(node, now, rate, run, busy, slots, board.jobs(), gpus(now), board.events());
  }

  private double gauge(String name) {
    Gauge g = registry.find(name).gauge();
    return g == null || Double.isNaN(g.value()) ? 0 : g.value();
  }

  private List<NodeReport.GpuRow> gpus(long now) {
    Map<String, long[]> calls = new TreeMap<>();
    for (Counter c : registry.find("tessera.gpu.calls").counters()) {
      calls.computeIfAbsent(c.getId().getTag("gpu"), g -> new long[1])[0] += (long) c.count();
    }
    if (calls.isEmpty()) {
      return List.of();
    }
    long fallbacks = 0;
    for (Counter c : registry.find("tessera.gpu.cpu.fallbacks").counters()) {
      fallbacks += (long) c.count();
    }
    List<NodeReport.GpuRow> rows = new ArrayList<>();
    for (Map.Entry<String, long[]> e : calls.entrySet()) {
      String gpu = e.getKey();
      long n = e.getValue()[0];
      Timer latency = registry.find("tessera.gpu.call").tag("gpu", gpu).timer();
      Gauge memory = registry.find("tessera.gpu.memory.used").tag("gpu", gpu).gauge();
      rows.add(new NodeReport.GpuRow(gpu, n, rate(gpuSamples.computeIfAbsent(gpu, g -> new ArrayDeque<>()), now, n),
          latency == null ? 0 : latency.mean(TimeUnit.MILLISECONDS),
          memory == null || Double.isNaN(memory.value()) ? 0 : (long) memory.value(), fallbacks));
    }
    return rows;
  }

  /** Adds a sample ({millis, count}) and returns the rate per second over the last few seconds. */
  static double rate(Deque<long[]> samples, long now, long count) {
    samples.addLast(new long[] {now, count});
    while (samples.size() > 2 && now - samples.peekFirst()[0] > RATE_WINDOW_MILLIS) {
      samples.removeFirst();
    }
    long[] first = samples.peekFirst();
    return now - first[0] >= 500 ? (count - first[1]) * 1000.0 / (now - first[0]) : 0;
  }
}
