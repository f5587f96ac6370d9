package dev.tessera.gpu.cuda;

import dev.tessera.runtime.serialization.CborSerializable;

/**
 * A CUDA device as discovery saw it; what a node advertises to the cluster.
 *
 * @param ordinal the device's index on its node (CUDA ordinal)
 * @param name the device's name, as the driver reports it ({@code "NVIDIA H100 80GB HBM3"})
 * @param totalMemoryBytes the device's memory
 * @param computeCapability {@code "9.0"} for an H100
 * @param driverVersion the CUDA driver's version, {@code "13.0"}
 */
public record GpuDevice(int ordinal, String name, long totalMemoryBytes, String computeCapability, String driverVersion)
    implements CborSerializable {

  @Override
  public String toString() {
    return "GPU " + ordinal + ": " + name + ", " + (totalMemoryBytes >> 20) + " MiB, compute capability "
        + computeCapability + ", CUDA driver " + driverVersion;
  }
}
