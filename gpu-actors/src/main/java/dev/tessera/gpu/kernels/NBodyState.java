package dev.tessera.gpu.kernels;

import java.util.Objects;

/**
 * The bodies of an n-body simulation (G = 1).
 *
 * @param positionsAndMasses four floats per body: x, y, z, mass (the layout of a CUDA {@code float4})
 * @param velocities three floats per body: vx, vy, vz
 */
public record NBodyState(float[] positionsAndMasses, float[] velocities) {

  public NBodyState {
    Objects.requireNonNull(positionsAndMasses, "positionsAndMasses");
    Objects.requireNonNull(velocities, "velocities");
    if (positionsAndMasses.length == 0 || positionsAndMasses.length % 4 != 0) {
      throw new IllegalArgumentException(
          "positionsAndMasses needs 4 floats (x, y, z, mass) per body and at least one body, got "
              + positionsAndMasses.length + " floats");
    }
    int bodies = positionsAndMasses.length / 4;
    if (velocities.length != 3 * bodies) {
      throw new IllegalArgumentException(
          "velocities needs 3 floats per body: " + bodies + " bodies need " + 3 * bodies + ", got " + velocities.length);
    }
  }

  public int bodies() {
    return positionsAndMasses.length / 4;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NBodyState s
        && java.util.Arrays.equals(positionsAndMasses, s.positionsAndMasses)
        && java.util.Arrays.equals(velocities, s.velocities);
  }

  @Override
  public int hashCode() {
    return 31 * java.util.Arrays.hashCode(positionsAndMasses) + java.util.Arrays.hashCode(velocities);
  }

  @Override
  public String toString() {
    return "NBodyState[" + bodies() + " bodies]";
  }
}
