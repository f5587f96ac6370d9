package dev.tessera.gpu.kernels;

/**
 * The kernels written the obvious way in double precision, with the magnitudes needed for error
 * bounds: the backends are checked against these, never against each other.
 */
final class Float64Reference {

  /** float32 unit roundoff. */
  static final double U = Math.ulp(1f) / 2;

  private Float64Reference() {}

  /** {@code alpha * a * b + beta * c} and, per element, {@code |alpha| * |a| |b| + |beta| * |c|}. */
  static double[][] gemm(float alpha, Matrix a, Matrix b, float beta, Matrix c) {
    int m = a.rows();
    int k = a.cols();
    int n = b.cols();
    double[] value = new double[m * n];
    double[] magnitude = new double[m * n];
    double[] row = new double[n];
    double[] absRow = new double[n];
    for (int i = 0; i < m; i++) {
      java.util.Arrays.fill(row, 0);
      java.util.Arrays.fill(absRow, 0);
      for (int p = 0; p < k; p++) {
        double aip = a.values()[i * k + p];
        for (int j = 0; j < n; j++) {
          double bpj = b.values()[p * n + j];
          row[j] += aip * bpj;
          absRow[j] += Math.abs(aip * bpj);
        }
      }
      for (int j = 0; j < n; j++) {
        double cij = beta == 0f ? 0 : c.values()[i * n + j];
        value[i * n + j] = alpha * row[j] + beta * cij;
        magnitude[i * n + j] = Math.abs(alpha) * absRow[j] + Math.abs(beta * cij);
      }
    }
    return new double[][] {value, magnitude};
  }

  static double[] jacobi(Matrix grid, int steps) {
    int rows = grid.rows();
    int cols = grid.cols();
    double[] in = new double[grid.size()];
    for (int i = 0; i < in.length; i++) {
      in[i] = grid.values()[i];
    }
    double[] out = in.clone();
    for (int s = 0; s < steps; s++) {
      for (int i = 1; i < rows - 1; i++) {
        for (int j = 1; j < cols - 1; j++) {
          out[i * cols + j] =
              0.25 * (in[(i - 1) * cols + j] + in[(i + 1) * cols + j] + in[i * cols + j - 1] + in[i * cols + j + 1]);
        }
      }
      double[] t = in;
      in = out;
      out = t;
    }
    return in;
  }

  /**
   * One n-body step in double precision: {@code [0]} positions and masses, {@code [1]} velocities,
   * {@code [2]} per body the sum of the magnitudes of the acceleration terms (for error bounds).
   */
  static double[][] nbodyStep(double[] pos, double[] vel, double dt, double softening) {
    int n = pos.length / 4;
    double eps2 = softening * softening;
    double[] nextPos = new double[pos.length];
    double[] nextVel = new double[vel.length];
    double[] magnitude = new double[n];
    for (int i = 0; i < n; i++) {
      double ax = 0;
      double ay = 0;
      double az = 0;
      double mag = 0;
      for (int j = 0; j < n; j++) {
        double dx = pos[4 * j] - pos[4 * i];
        double dy = pos[4 * j + 1] - pos[4 * i + 1];
        double dz = pos[4 * j + 2] - pos[4 * i + 2];
        double r2 = dx * dx + dy * dy + dz * dz + eps2;
        double s = pos[4 * j + 3] / (r2 * Math.sqrt(r2));
        ax += dx * s;
        ay += dy * s;
        az += dz * s;
        mag += Math.abs(s) * (Math.abs(dx) + Math.abs(dy) + Math.abs(dz) + softening);
      }
      nextVel[3 * i] = vel[3 * i] + ax * dt;
      nextVel[3 * i + 1] = vel[3 * i + 1] + ay * dt;
      nextVel[3 * i + 2] = vel[3 * i + 2] + az * dt;
      for (int d = 0; d < 3; d++) {
        nextPos[4 * i + d] = pos[4 * i + d] + nextVel[3 * i + d] * dt;
      }
      nextPos[4 * i + 3] = pos[4 * i + 3];
      magnitude[i] = mag;
    }
    return new double[][] {nextPos, nextVel, magnitude};
  }

  static double[] toDouble(float[] values) {
    double[] out = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }
}
