package dev.tessera.gpu.kernels;

import java.util.Objects;

/**
 * One operation for a {@link Kernels} backend, checked when it is built so that a backend only sees
 * well-formed work: a request that names mismatched shapes fails here, in the caller's thread,
 * with a message that says what is wrong.
 *
 * @param <R> what the operation returns
 */
public sealed interface KernelRequest<R>
    permits KernelRequest.Gemm, KernelRequest.Axpy, KernelRequest.SumMaxOf, KernelRequest.JacobiSteps, KernelRequest.NBodySteps {

  /** The bytes this request moves to and from a device, for batching decisions. */
  long bytes();

  /**
   * {@code alpha * a * b + beta * c} (BLAS SGEMM, row-major). {@code c} may be null when {@code
   * beta} is 0, and is then not read.
   */
  record Gemm(float alpha, Matrix a, Matrix b, float beta, Matrix c) implements KernelRequest<Matrix> {
    public Gemm {
      Objects.requireNonNull(a, "a");
      Objects.requireNonNull(b, "b");
      if (a.cols() != b.rows()) {
        throw new IllegalArgumentException(
            "cannot multiply a " + a.rows() + " x " + a.cols() + " matrix by a " + b.rows() + " x " + b.cols()
                + " matrix: the inner dimensions differ");
      }
      if (beta != 0f) {
        Objects.requireNonNull(c, "c (needed because beta is not 0)");
      }
      if (c != null && (c.rows() != a.rows() || c.cols() != b.cols())) {
        throw new IllegalArgumentException(
            "c must be " + a.rows() + " x " + b.cols() + " to add to the product, got " + c.rows() + " x " + c.cols());
      }
    }

    @Override
    public long bytes() {
      return 4L * ((long) a.size() + b.size() + 2L * a.rows() * b.cols());
    }
  }

  /** {@code a * x + y} (BLAS SAXPY); returns a new vector, {@code y} is not modified. */
  record Axpy(float a, float[] x, float[] y) implements KernelRequest<float[]> {
    public Axpy {
      Objects.requireNonNull(x, "x");
      Objects.requireNonNull(y, "y");
      if (x.length != y.length) {
        throw new IllegalArgumentException("x and y must have the same length, got " + x.length + " and " + y.length);
      }
      if (x.length == 0) {
        throw new IllegalArgumentException("x and y must not be empty");
      }
    }

    @Override
    public long bytes() {
      return 12L * x.length;
    }
  }

  /** The sum and maximum of a non-empty vector. */
  record SumMaxOf(float[] x) implements KernelRequest<SumMax> {
    public SumMaxOf {
      Objects.requireNonNull(x, "x");
      if (x.length == 0) {
        throw new IllegalArgumentException("the sum and maximum of an empty vector are not defined");
      }
    }

    @Override
    public long bytes() {
      return 4L * x.length;
    }
  }

  /**
   * {@code steps} Jacobi steps of the five-point stencil for Laplace's equation: every interior
   * point becomes the mean of its four neighbours, {@code 0.25 * ((up + down) + (left + right))};
   * the boundary rows and columns are held fixed (Dirichlet).
   */
  record JacobiSteps(Matrix grid, int steps) implements KernelRequest<Matrix> {
    public JacobiSteps {
      Objects.requireNonNull(grid, "grid");
      if (steps < 1) {
        throw new IllegalArgumentException("steps must be at least 1, got " + steps);
      }
    }

    @Override
    public long bytes() {
      return 8L * grid.size();
    }
  }

  /**
   * {@code steps} steps of direct-summation gravity (G = 1): each body accelerates towards every
   * other by {@code m_j * d / (|d|^2 + softening^2)^(3/2)}, then {@code v += a * dt} and {@code x +=
   * v * dt} (semi-implicit Euler). Softening keeps close encounters finite and must be positive.
   */
  record NBodySteps(NBodyState state, float dt, float softening, int steps) implements KernelRequest<NBodyState> {
    /** Every body's pull on itself is {@code 0 * softening^-3}: finite only above this. */
    public static final float MIN_SOFTENING = 1e-12f;

    public NBodySteps {
      Objects.requireNonNull(state, "state");
      if (!(dt > 0f) || !Float.isFinite(dt)) {
        throw new IllegalArgumentException("dt must be a positive finite number, got " + dt);
      }
      if (!(softening >= MIN_SOFTENING) || !Float.isFinite(softening)) {
        throw new IllegalArgumentException("softening must be a finite number of at least " + MIN_SOFTENING
            + " (smaller, a body's pull on itself overflows a float), got " + softening);
      }
      if (steps < 1) {
        throw new IllegalArgumentException("steps must be at least 1, got " + steps);
      }
    }

    @Override
    public long bytes() {
      return 28L * state.bodies() * 2;
    }
  }
}
