package dev.tessera.gpu.kernels;

/**
 * The hot math of a task, the same on every node: a GPU computes it where the node has one, the
 * CPU where it does not, and the results agree within the bounds each operation documents (see
 * the module README). Task code calls this and never needs to know which ran.
 *
 * <pre>{@code
 * Kernels kernels = GpuKernels.get(system).kernels();   // on a worker node
 * Matrix c = kernels.multiply(a, b);
 * }</pre>
 *
 * <p>Inputs are never modified; every operation returns new arrays. Implementations are
 * thread-safe.
 *
 * @see CpuBackend
 */
public interface Kernels {

  /**
   * Runs one operation.
   *
   * @throws KernelFailedException when the backend could not compute it (the message says why)
   */
  <R> R compute(KernelRequest<R> request);

  /** A line saying what computes, for logs: {@code "cpu: OpenBLAS (JNI), 2 threads"}, a GPU's name. */
  String describe();

  /** {@code a * b}. */
  default Matrix multiply(Matrix a, Matrix b) {
    return compute(new KernelRequest.Gemm(1f, a, b, 0f, null));
  }

  /** {@code alpha * a * b + beta * c} (BLAS SGEMM). */
  default Matrix gemm(float alpha, Matrix a, Matrix b, float beta, Matrix c) {
    return compute(new KernelRequest.Gemm(alpha, a, b, beta, c));
  }

  /** {@code a * x + y} (BLAS SAXPY). */
  default float[] axpy(float a, float[] x, float[] y) {
    return compute(new KernelRequest.Axpy(a, x, y));
  }

  /** The sum and maximum of {@code x}. */
  default SumMax sumMax(float[] x) {
    return compute(new KernelRequest.SumMaxOf(x));
  }

  /** {@code steps} Jacobi steps of the five-point stencil (see {@link KernelRequest.JacobiSteps}). */
  default Matrix jacobi(Matrix grid, int steps) {
    return compute(new KernelRequest.JacobiSteps(grid, steps));
  }

  /** {@code steps} n-body steps (see {@link KernelRequest.NBodySteps}). */
  default NBodyState nbody(NBodyState state, float dt, float softening, int steps) {
    return compute(new KernelRequest.NBodySteps(state, dt, softening, steps));
  }
}
