package dev.tessera.benchmarks.kernels;

import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.blas.JavaBLAS;
import dev.ludovic.netlib.blas.NativeBLAS;
import dev.tessera.gpu.GpuActor;
import dev.tessera.gpu.GpuBackend;
import dev.tessera.gpu.cuda.CudaDevice;
import dev.tessera.gpu.cuda.GpuDevice;
import dev.tessera.gpu.cuda.GpuDiscovery;
import dev.tessera.gpu.kernels.CpuBackend;
import dev.tessera.gpu.kernels.Kernels;
import dev.tessera.gpu.kernels.Matrix;
import dev.tessera.gpu.kernels.NBodyState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Kernel throughput on this machine, every number a ratio against a baseline measured in the same
 * run, interleaved rep by rep (the machines are shared and noisy):
 *
 * <ul>
 *   <li>SGEMM at 1024, 2048, 4096 through {@link CpuBackend} against calling the same BLAS
 *       directly: native OpenBLAS (JNI), and netlib's Java fallback (direct: one thread; the
 *       backend splits rows across its threads);
 *   <li>the Jacobi stencil and the n-body step through the backend against the same loops on one
 *       thread;
 *   <li>where a CUDA device is found: {@code sgemm_tiled} alone (CUDA events) at the same sizes, a
 *       4096 product through the device actor (copies included), and the round trip of one tiny
 *       call through the actor against the same call on the CPU backend. cuBLAS, for the ratio,
 *       comes from {@code benchmarks/cublas_sgemm.py} in the same session.
 * </ul>
 *
 * <pre>bin/bench-kernels [reps]</pre>
 */
public final class KernelBench {

  private KernelBench() {}

  public static void main(String[] args) throws Exception {
    int reps = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    int threads = Runtime.getRuntime().availableProcessors();
    System.out.printf(Locale.ROOT, "kernel bench: %d cores, %d reps, medians%n", threads, reps);
    try (CpuBackend nativeBackend = tryNative(threads);
        CpuBackend javaBackend = CpuBackend.create(CpuBackend.Blas.JAVA, threads)) {
      CpuBackend best = nativeBackend != null ? nativeBackend : javaBackend;
      // The GPU rows first: on a lent GPU machine they are what the run is for.
      gpu(best, reps);
      sgemm(nativeBackend, javaBackend, reps);
      stencil(best, reps);
      nbody(best, reps);
    }
  }

  private static CpuBackend tryNative(int threads) {
    try {
      return CpuBackend.create(CpuBackend.Blas.NATIVE, threads);
    } catch (IllegalStateException e) {
      System.out.println("no native BLAS: " + e.getMessage());
      return null;
    }
  }

  private static void sgemm(CpuBackend nativeBackend, CpuBackend javaBackend, int reps) {
    System.out.println();
    System.out.println("SGEMM, GFLOP/s (2 n^3 / time)");
    System.out.println("     n   OpenBLAS direct  CpuBackend native  ratio   Java BLAS direct (1 thread)  CpuBackend Java  ratio");
    for (int n : new int[] {1024, 2048, 4096}) {
      Matrix[] ab = randomPair(n, 2);
      float[] c = new float[n * n];
      double flops = 2.0 * n * n * n;
      List<Runnable> variants = new ArrayList<>();
      BLAS nativeBlas = nativeBackend == null ? null : NativeBLAS.getInstance();
      BLAS javaBlas = JavaBLAS.getInstance();
      variants.add(nativeBlas == null ? null : () -> directSgemm(nativeBlas, n, ab, c));
      variants.add(nativeBackend == null ? null : () -> nativeBackend.multiply(ab[0], ab[1]));
      // Unblocked, netlib's Java kernels fall to about 2 GFLOP/s past 1024: over a minute a run
      // at 4096, so that baseline is measured at 1024 and 2048 only.
      variants.add(n >= 4096 ? null : () -> directSgemm(javaBlas, n, ab, c));
      variants.add(() -> javaBackend.multiply(ab[0], ab[1]));
      double[] seconds = interleaved(variants, n >= 4096 ? Math.max(1, reps - 1) : reps);
      System.out.printf(Locale.ROOT, "%6d   %15s  %17s  %5s   %27s  %15s  %5s%n",
          n, gflops(flops, seconds[0]), gflops(flops, seconds[1]), ratio(seconds[0], seconds[1]),
          gflops(flops, seconds[2]), gflops(flops, seconds[3]), ratio(seconds[2], seconds[3]));
    }
  }

  private static void directSgemm(BLAS blas, int n, Matrix[] ab, float[] c) {
    blas.sgemm("N", "N", n, n, n, 1f, ab[1].values(), 0, n, ab[0].values(), 0, n, 0f, c, 0, n);
  }

  private static void stencil(Kernels backend, int reps) {
    try (CpuBackend oneThread = singleThreaded()) {
      stencil(backend, oneThread, reps);
    }
  }

  private static void stencil(Kernels backend, Kernels oneThread, int reps) {
    int size = 2048;
    int steps = 20;
    Matrix grid = randomPair(size, 1)[0];
    double cells = (double) size * size * steps;
    double[] seconds = interleaved(List.of(
        () -> oneThread.jacobi(grid, steps),
        () -> backend.jacobi(grid, steps)), reps);
    System.out.println();
    System.out.printf(Locale.ROOT, "Jacobi %d x %d, %d steps: one thread %.0f Mcell/s, CpuBackend %.0f Mcell/s, ratio %s%n",
        size, size, steps, cells / seconds[0] / 1e6, cells / seconds[1] / 1e6, ratio(seconds[0], seconds[1]));
  }

  private static void nbody(Kernels backend, int reps) {
    try (CpuBackend oneThread = singleThreaded()) {
      nbody(backend, oneThread, reps);
    }
  }

  private static void nbody(Kernels backend, Kernels oneThread, int reps) {
    int n = 4096;
    int steps = 2;
    NBodyState state = bodies(n);
    double interactions = (double) n * n * steps;
    double[] seconds = interleaved(List.of(
        () -> oneThread.nbody(state, 1e-3f, 0.05f, steps),
        () -> backend.nbody(state, 1e-3f, 0.05f, steps)), reps);
    System.out.printf(Locale.ROOT, "n-body %d bodies, %d steps: one thread %.0f M interactions/s, CpuBackend %.0f M/s, ratio %s%n",
        n, steps, interactions / seconds[0] / 1e6, interactions / seconds[1] / 1e6, ratio(seconds[0], seconds[1]));
  }

  /**
   * The baseline of the stencil and n-body rows: the same loops on one thread (a backend with one
   * thread runs each kernel's loop inline on the caller's thread).
   */
  private static CpuBackend singleThreaded() {
    return CpuBackend.create(CpuBackend.Blas.JAVA, 1);
  }

  private static void gpu(CpuBackend cpu, int reps) throws Exception {
    GpuDiscovery.Result found = GpuDiscovery.discover();
    System.out.println();
    if (!found.found()) {
      System.out.println("GPU: none (" + found.unavailableReason().orElse("?") + "); GPU rows skipped");
      return;
    }
    GpuDevice device = found.devices().get(0);
    System.out.println("GPU: " + device);
    try (CudaDevice cuda = CudaDevice.open(device, 1L << 30, false)) {
      for (int n : new int[] {1024, 2048, 4096}) {
        double ms = median(cuda.sgemmKernelMillis(n, Math.max(5, reps * 5)));
        System.out.printf(Locale.ROOT, "sgemm_tiled %d: %.3f ms, %.0f GFLOP/s (kernel only, CUDA events)%n", n, ms, 2.0 * n * n * n / ms / 1e6);
      }
    }
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "kernel-bench");
    try {
      ActorRef<GpuActor.Command> actor = system.systemActorOf(
          GpuActor.create(device, d -> CudaDevice.open(d, 1L << 30, false), new GpuActor.Settings(64, 16 << 20, Duration.ofMillis(200))),
          "gpu-0", DispatcherSelector.fromConfig("tessera.gpu.device-dispatcher"));
      GpuBackend gpu = new GpuBackend(List.of(actor), device.toString(), cpu, Duration.ofSeconds(60), system.scheduler());
      Matrix[] ab = randomPair(4096, 2);
      gpu.multiply(ab[0], ab[1]);
      double[] seconds = interleaved(List.of(() -> gpu.multiply(ab[0], ab[1])), reps);
      System.out.printf(Locale.ROOT, "4096 product through the GPU actor, copies included: %.1f ms, %.0f GFLOP/s%n",
          seconds[0] * 1e3, 2.0 * 4096 * 4096 * 4096 / seconds[0] / 1e9);
      float[] one = {1f};
      int calls = 5000;
      for (int i = 0; i < 500; i++) {
        gpu.sumMax(one);
        cpu.sumMax(one);
      }
      double[] perCall = interleaved(List.of(
          () -> repeat(calls, () -> cpu.sumMax(one)),
          () -> repeat(calls, () -> gpu.sumMax(one))), reps);
      System.out.printf(Locale.ROOT, "one-element sum/max round trip: CPU backend %.1f us, GPU actor %.1f us, actor overhead %.1f us per call%n",
          perCall[0] / calls * 1e6, perCall[1] / calls * 1e6, (perCall[1] - perCall[0]) / calls * 1e6);
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get();
    }
  }

  private static Object repeat(int times, Supplier<?> call) {
    Object last = null;
    for (int i = 0; i < times; i++) {
      last = call.get();
    }
    return last;
  }

  /** Median seconds per variant; each rep runs every variant once, in turn (null: not available). */
  private static double[] interleaved(List<Runnable> variants, int reps) {
    double[][] times = new double[variants.size()][reps];
    for (Runnable variant : variants) {
      if (variant != null) {
        variant.run(); // warm-up
      }
    }
    for (int r = 0; r < reps; r++) {
      for (int v = 0; v < variants.size(); v++) {
        Runnable variant = variants.get(v);
        if (variant == null) {
          times[v][r] = Double.NaN;
          continue;
        }
        long start = System.nanoTime();
        variant.run();
        times[v][r] = (System.nanoTime() - start) / 1e9;
      }
    }
    double[] medians = new double[variants.size()];
    for (int v = 0; v < variants.size(); v++) {
      medians[v] = median(times[v]);
    }
    return medians;
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted.length % 2 == 1 ? sorted[sorted.length / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  }

  private static String gflops(double flops, double seconds) {
    return Double.isNaN(seconds) ? "-" : String.format(Locale.ROOT, "%.1f", flops / seconds / 1e9);
  }

  private static String ratio(double baselineSeconds, double seconds) {
    return Double.isNaN(baselineSeconds) || Double.isNaN(seconds) ? "-" : String.format(Locale.ROOT, "%.2f", baselineSeconds / seconds);
  }

  private static Matrix[] randomPair(int n, int count) {
    SplittableRandom random = new SplittableRandom(n);
    Matrix[] out = new Matrix[count];
    for (int m = 0; m < out.length; m++) {
      out[m] = Matrix.zeros(n, n);
      float[] v = out[m].values();
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) random.nextDouble(-1, 1);
      }
    }
    return out;
  }

  private static NBodyState bodies(int n) {
    SplittableRandom random = new SplittableRandom(n);
    float[] pos = new float[4 * n];
    float[] vel = new float[3 * n];
    for (int i = 0; i < n; i++) {
      for (int d = 0; d < 3; d++) {
        pos[4 * i + d] = (float) random.nextDouble(-1, 1);
      }
      pos[4 * i + 3] = 1f / n;
    }
    return new NBodyState(pos, vel);
  }
}
