package dev.tessera.gpu.cuda;

import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDeviceTotalMem;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuInit;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * Finds this machine's CUDA devices through the driver API. Never throws: a machine without the
 * NVIDIA driver ({@code libcuda.so.1}), without a device, or whose JCuda native library fails to
 * load gets a {@link Result} with no devices and the reason, which the node logs once before it
 * computes on the CPU.
 *
 * <p>The driver is probed once per JVM (the result is cached): CUDA initialisation is a process-wide
 * act, and a node's roles depend on it before its actor system exists.
 */
public final class GpuDiscovery {

  /**
   * What discovery found.
   *
   * @param devices the usable devices, in ordinal order; empty when none
   * @param unavailableReason why there are none (absent when there are some)
   */
  public record Result(List<GpuDevice> devices, Optional<String> unavailableReason) {
    public Result {
      devices = List.copyOf(devices);
    }

    public boolean found() {
      return !devices.isEmpty();
    }
  }

  private static volatile Result cached;

  /** cuDriverGetVersion of CUDA 13.0, the first driver that JITs PTX ISA 9.0 (NVIDIA driver 580). */
  private static final int MIN_DRIVER_API = 13000;
  /** compute_75: the PTX targets Turing and newer. */
  private static final int MIN_CAPABILITY = 75;

  private static int capability(GpuDevice device) {
    String[] parts = device.computeCapability().split("\\.");
    return Integer.parseInt(parts[0]) * 10 + Integer.parseInt(parts[1]);
  }

  private GpuDiscovery() {}

  /** The devices of this machine, probed on the first call. */
  public static Result discover() {
    Result result = cached;
    if (result == null) {
      synchronized (GpuDiscovery.class) {
        result = cached;
        if (result == null) {
          result = probe();
          cached = result;
        }
      }
    }
    return result;
  }

  private static Result probe() {
    try {
      // Error codes are checked here, not thrown by JCuda: the codes say what is missing.
      JCudaDriver.setExceptionsEnabled(false);
      int init = cuInit(0);
      if (init != CUresult.CUDA_SUCCESS) {
        return none("the CUDA driver did not initialise (" + CUresult.stringFor(init) + ")"
            + (init == CUresult.CUDA_ERROR_NO_DEVICE ? ": this machine has no CUDA device" : ""));
      }
      int[] version = new int[1];
      cuDriverGetVersion(version);
      String driver = version[0] / 1000 + "." + (version[0] % 1000) / 10;
      int[] count = new int[1];
      int rc = cuDeviceGetCount(count);
      if (rc != CUresult.CUDA_SUCCESS || count[0] == 0) {
        return none("the CUDA driver " + driver + " reports no device" + (rc == 0 ? "" : " (" + CUresult.stringFor(rc) + ")"));
      }
      if (version[0] < MIN_DRIVER_API) {
        return none("the CUDA driver " + driver + " is too old: the kernels are PTX ISA 9.0 from CUDA 13, which needs"
            + " CUDA driver 13.0 (NVIDIA driver 580) or newer");
      }
      List<GpuDevice> devices = new ArrayList<>();
      List<String> skipped = new ArrayList<>();
      for (int ordinal = 0; ordinal < count[0]; ordinal++) {
        try {
          GpuDevice device = describe(ordinal, driver);
          if (capability(device) < MIN_CAPABILITY) {
            skipped.add(device + " is older than compute capability 7.5, the oldest the kernels are built for");
          } else {
            devices.add(device);
          }
        } catch (RuntimeException e) {
          skipped.add("GPU " + ordinal + " cannot be described: " + e.getMessage());
        }
      }
      if (devices.isEmpty()) {
        return none(String.join("; ", skipped));
      }
      return new Result(devices, Optional.empty());
    } catch (UnsatisfiedLinkError | NoClassDefFoundError | ExceptionInInitializerError e) {
      return none(linkFailure(e));
    } catch (RuntimeException e) {
      return none("probing CUDA failed: " + firstLine(e));
    }
  }

  private static GpuDevice describe(int ordinal, String driver) {
    CUdevice device = new CUdevice();
    check(cuDeviceGet(device, ordinal), "cuDeviceGet");
    byte[] name = new byte[256];
    check(cuDeviceGetName(name, name.length, device), "cuDeviceGetName");
    int length = 0;
    while (length < name.length && name[length] != 0) {
      length++;
    }
    long[] memory = new long[1];
    check(cuDeviceTotalMem(memory, device), "cuDeviceTotalMem");
    int[] major = new int[1];
    int[] minor = new int[1];
    check(cuDeviceGetAttribute(major, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device), "compute capability");
    check(cuDeviceGetAttribute(minor, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device), "compute capability");
    return new GpuDevice(
        ordinal, new String(name, 0, length, StandardCharsets.US_ASCII), memory[0], major[0] + "." + minor[0], driver);
  }

  private static void check(int result, String call) {
    if (result != CUresult.CUDA_SUCCESS) {
      throw new IllegalStateException(call + " failed: " + CUresult.stringFor(result));
    }
  }

  private static Result none(String reason) {
    return new Result(List.of(), Optional.of(reason));
  }

  /**
   * JCuda's error holds the stack traces of each way it tried to load its library; the line that
   * matters is the one naming the shared object the dynamic linker could not find.
   */
  static String linkFailure(Throwable e) {
    Matcher missing = MISSING_LIBRARY.matcher(String.valueOf(e.getMessage()));
    if (missing.find()) {
      String library = missing.group(1);
      return "JCuda's native library did not load: " + missing.group(0).trim()
          + (library.startsWith("libcuda.so") ? " (the NVIDIA driver is not installed)" : "");
    }
    return "JCuda's native library did not load (is the NVIDIA driver, libcuda.so.1, installed?): " + firstLine(e);
  }

  private static final Pattern MISSING_LIBRARY = Pattern.compile("(lib[\\w.+-]+\\.so[\\w.]*): cannot open shared object file[^\\n]*");

  private static String firstLine(Throwable e) {
    String message = String.valueOf(e.getMessage());
    int newline = message.indexOf('\n');
    return e.getClass().getSimpleName() + ": " + (newline < 0 ? message : message.substring(0, newline));
  }
}
