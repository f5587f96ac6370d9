package dev.tessera.gpu;

import com.typesafe.config.Config;
import dev.tessera.gpu.kernels.CpuBackend;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * {@code tessera.gpu}, read once (see this module's {@code reference.conf} for each key).
 *
 * @param mode {@code auto} (use the GPUs discovery finds) or {@code off} (always the CPU)
 * @param advertiseRole the role a node with a GPU adds to its own, so GPU jobs are routed to it
 * @param callTimeout a kernel call not answered within this long fails
 * @param maxPooledBytes device memory kept for reuse between calls, per device
 * @param actor batching and recovery of each device's actor
 * @param cpuBlas which BLAS the CPU backend uses
 * @param cpuThreads threads of the CPU backend (0: one per core)
 */
public record GpuSettings(
    String mode,
    String advertiseRole,
    Duration callTimeout,
    long maxPooledBytes,
    GpuActor.Settings actor,
    CpuBackend.Blas cpuBlas,
    int cpuThreads) {

  public GpuSettings {
    Objects.requireNonNull(mode, "mode");
    if (!mode.equals("auto") && !mode.equals("off")) {
      throw new IllegalArgumentException("tessera.gpu.mode must be 'auto' or 'off', got '" + mode + "'");
    }
    Objects.requireNonNull(advertiseRole, "advertiseRole");
    Objects.requireNonNull(callTimeout, "callTimeout");
    if (cpuThreads < 0) {
      throw new IllegalArgumentException("tessera.gpu.cpu.threads must be 0 (one per core) or more, got " + cpuThreads);
    }
  }

  public static GpuSettings create(Config config) {
    Config c = config.getConfig("tessera.gpu");
    String blas = c.getString("cpu.blas").toUpperCase(Locale.ROOT);
    CpuBackend.Blas choice;
    try {
      choice = CpuBackend.Blas.valueOf(blas);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("tessera.gpu.cpu.blas must be auto, native or java, got '" + c.getString("cpu.blas") + "'");
    }
    return new GpuSettings(
        c.getString("mode"),
        c.getString("advertise-role"),
        c.getDuration("call-timeout"),
        c.getBytes("max-pooled-bytes"),
        new GpuActor.Settings(c.getInt("batch.max-requests"), c.getBytes("batch.max-bytes"), c.getDuration("restart-backoff")),
        choice,
        c.getInt("cpu.threads"));
  }

  public int cpuThreadsOrCores() {
    return cpuThreads == 0 ? Runtime.getRuntime().availableProcessors() : cpuThreads;
  }
}
