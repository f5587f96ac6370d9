package dev.tessera.gpu.cuda;

import static jcuda.driver.CUresult.CUDA_ERROR_INVALID_VALUE;
import static jcuda.driver.CUresult.CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES;
import static jcuda.driver.CUresult.CUDA_ERROR_OUT_OF_MEMORY;
import static jcuda.driver.CUresult.CUDA_SUCCESS;
import static jcuda.driver.JCudaDriver.cuCtxCreate;
import static jcuda.driver.JCudaDriver.cuCtxDestroy;
import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemAllocHost;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemFreeHost;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemsetD32Async;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import dev.tessera.gpu.cuda.BatchLayout.Region;
import dev.tessera.gpu.kernels.KernelFailedException;
import dev.tessera.gpu.kernels.KernelRequest;
import dev.tessera.gpu.kernels.Matrix;
import dev.tessera.gpu.kernels.NBodyState;
import dev.tessera.gpu.kernels.SumMax;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * One CUDA device through JCuda's driver API: its own context, module of our kernels (PTX from
 * {@code src/main/cuda}, loaded with {@code cuModuleLoadData}) and stream.
 *
 * <p>A batch runs as: inputs copied into one pinned host staging buffer, one device block from the
 * {@link BufferPool} holding every buffer of the batch, asynchronous copies and launches on the
 * stream, results copied back, and a single {@code cuStreamSynchronize} at the end. Repeated
 * shapes allocate nothing.
 *
 * <p>Threading: not thread-safe, and the context must be current on the calling thread; {@link
 * dev.tessera.gpu.GpuActor} owns it on a dedicated thread and makes the context current before each
 * batch.
 */
public final class CudaDevice implements KernelDevice {

  /** The PTX of every kernel, generated from {@code src/main/cuda} by {@code bin/ptx-regenerate}. */
  static final String PTX_RESOURCE = "/dev/tessera/gpu/kernels/tessera_kernels.ptx";

  private static final int GEMM_TILE = 128;
  private static final int THREADS = 256;
  private static final int MAX_GRID_Y = 65_535;

  private final GpuDevice info;
  private final boolean poisonOutputs;
  private final CUcontext context;
  private final CUmodule module;
  private final CUstream stream;
  private final CUfunction sgemm;
  private final CUfunction saxpy;
  private final CUfunction reducePartial;
  private final CUfunction reduceFinal;
  private final CUfunction jacobi;
  private final CUfunction nbody;
  private final BufferPool<CUdeviceptr> pool;
  private Pointer staging;
  private long stagingBytes;
  private ByteBuffer stagingBuffer;

  private CudaDevice(GpuDevice info, boolean poisonOutputs, long maxPooledBytes, CUcontext context) {
    this.info = info;
    this.poisonOutputs = poisonOutputs;
    this.context = context;
    this.module = new CUmodule();
    check(cuModuleLoadData(module, ptx()), "loading the kernels' PTX (cuModuleLoadData)");
    this.sgemm = function("sgemm_tiled");
    this.saxpy = function("saxpy");
    this.reducePartial = function("reduce_sum_max_partial");
    this.reduceFinal = function("reduce_sum_max_final");
    this.jacobi = function("jacobi_step");
    this.nbody = function("nbody_step");
    this.stream = new CUstream();
    check(cuStreamCreate(stream, 0), "cuStreamCreate");
    this.pool = new BufferPool<>(new BufferPool.Allocator<>() {
      @Override
      public CUdeviceptr allocate(long bytes) {
        CUdeviceptr pointer = new CUdeviceptr();
        int rc = cuMemAlloc(pointer, bytes);
        if (rc == CUDA_ERROR_OUT_OF_MEMORY) {
          return null;
        }
        check(rc, "cuMemAlloc of " + bytes + " bytes");
        return pointer;
      }

      @Override
      public void free(CUdeviceptr buffer) {
        cuMemFree(buffer);
      }
    }, maxPooledBytes);
  }

  /**
   * Opens a context on the device and loads the kernels.
   *
   * @param maxPooledBytes device memory kept for reuse between calls
   * @param poisonOutputs fill every output buffer with NaN before the kernels run (for tests)
   * @throws KernelFailedException saying why the device cannot be used (a driver too old for the
   *     PTX, for example)
   */
  public static CudaDevice open(GpuDevice info, long maxPooledBytes, boolean poisonOutputs) {
    Objects.requireNonNull(info, "info");
    JCudaDriver.setExceptionsEnabled(false);
    checkOpen(cuInit(0), "cuInit", info);
    CUdevice device = new CUdevice();
    checkOpen(cuDeviceGet(device, info.ordinal()), "cuDeviceGet", info);
    CUcontext context = new CUcontext();
    checkOpen(cuCtxCreate(context, 0, device), "cuCtxCreate", info);
    try {
      return new CudaDevice(info, poisonOutputs, maxPooledBytes, context);
    } catch (RuntimeException e) {
      cuCtxDestroy(context);
      throw e;
    }
  }

  /**
   * The time of {@code sgemm_tiled} alone on n x n matrices already on the device, in milliseconds
   * per launch, each of {@code reps} launches timed with CUDA events (for benchmarks: it says what
   * the kernel does, without the copies a call also makes).
   */
  public double[] sgemmKernelMillis(int n, int reps) {
    check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
    long bytes = 4L * n * n;
    CUdeviceptr[] buffers = new CUdeviceptr[3];
    CUevent start = new CUevent();
    CUevent stop = new CUevent();
    check(cuEventCreate(start, 0), "cuEventCreate");
    check(cuEventCreate(stop, 0), "cuEventCreate");
    try {
      for (int i = 0; i < 3; i++) {
        buffers[i] = new CUdeviceptr();
        check(cuMemAlloc(buffers[i], bytes), "cuMemAlloc");
        check(cuMemsetD32Async(buffers[i], Float.floatToRawIntBits(0.5f), (long) n * n, stream), "cuMemsetD32Async");
      }
      Pointer params = Pointer.to(ints(n), ints(n), ints(n), floats(1f),
          Pointer.to(buffers[0]), Pointer.to(buffers[1]), floats(0f), Pointer.to(buffers[2]));
      double[] millis = new double[reps];
      for (int r = -1; r < reps; r++) {
        check(cuEventRecord(start, stream), "cuEventRecord");
        check(cuLaunchKernel(sgemm, blocks(n, GEMM_TILE), blocks(n, GEMM_TILE), 1, THREADS, 1, 1, 0, stream, params, null),
            "launching sgemm_tiled");
        check(cuEventRecord(stop, stream), "cuEventRecord");
        check(cuEventSynchronize(stop), "running sgemm_tiled");
        float[] elapsed = new float[1];
        check(cuEventElapsedTime(elapsed, start, stop), "cuEventElapsedTime");
        if (r >= 0) {
          millis[r] = elapsed[0];
        }
      }
      return millis;
    } finally {
      for (CUdeviceptr buffer : buffers) {
        if (buffer != null) {
          cuMemFree(buffer);
        }
      }
      cuEventDestroy(start);
      cuEventDestroy(stop);
    }
  }

  /** Device allocations made so far (calls served from the pool make none). */
  long deviceAllocations() {
    return pool.allocations();
  }

  @Override
  public GpuDevice device() {
    return info;
  }

  @Override
  public List<Object> run(List<KernelRequest<?>> batch) {
    check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
    BatchLayout layout = new BatchLayout();
    List<Staged> staged = new ArrayList<>(batch.size());
    for (KernelRequest<?> request : batch) {
      staged.add(stage(request, layout));
    }
    if (layout.total() > Integer.MAX_VALUE) {
      throw new KernelFailedException(
          "one call may move at most 2 GiB to a GPU, this one needs " + (layout.total() >> 20) + " MiB: split the work");
    }
    ensureStaging(layout.total());
    CUdeviceptr base = pool.acquire(layout.total());
    if (base == null) {
      throw new OutOfDeviceMemoryException(outOfMemory(layout.total()));
    }
    List<Object> results;
    try {
      for (Region region : layout.regions()) {
        if (region.upload() != null) {
          stagingSlice(region).asFloatBuffer().put(region.upload());
          check(cuMemcpyHtoDAsync(at(base, region), staging.withByteOffset(region.offset()), region.bytes(), stream), "copy to the GPU");
        } else if (poisonOutputs) {
          check(cuMemsetD32Async(at(base, region), Float.floatToRawIntBits(Float.NaN), region.bytes() / 4, stream), "poisoning");
        }
      }
      for (Staged s : staged) {
        s.launch(base);
      }
      for (Region region : layout.regions()) {
        if (region.download()) {
          check(cuMemcpyDtoHAsync(staging.withByteOffset(region.offset()), at(base, region), region.bytes(), stream), "copy from the GPU");
        }
      }
      check(cuStreamSynchronize(stream), "running the batch");
      results = new ArrayList<>(staged.size());
      for (Staged s : staged) {
        results.add(s.collect());
      }
    } catch (DeviceLostException e) {
      throw e; // the block goes with the context
    } catch (KernelFailedException e) {
      // Work queued before the failure must end before the block is reused; an error it reports
      // sticks to the context, so the device is lost after all.
      int rc = cuStreamSynchronize(stream);
      if (rc != CUDA_SUCCESS) {
        throw new DeviceLostException(e.getMessage() + "; then the queued work failed: " + CUresult.stringFor(rc), e);
      }
      pool.release(base, layout.total());
      throw e;
    } catch (RuntimeException e) {
      throw new DeviceLostException("unexpected failure on " + info + ": " + e, e);
    }
    pool.release(base, layout.total());
    return results;
  }

  /** One request's part of a batch: its launches, and how its result is read back. */
  private interface Staged {
    void launch(CUdeviceptr base);

    Object collect();
  }

  private Staged stage(KernelRequest<?> request, BatchLayout layout) {
    if (request instanceof KernelRequest.Gemm g) {
      return stageGemm(g, layout);
    } else if (request instanceof KernelRequest.Axpy x) {
      Region rx = layout.upload(x.x(), false);
      Region ry = layout.upload(x.y(), true);
      int n = x.x().length;
      return new Staged() {
        public void launch(CUdeviceptr base) {
          launch1d(saxpy, Math.min(blocks(n, THREADS), 4096), "saxpy",
              Pointer.to(ints(n), floats(x.a()), Pointer.to(at(base, rx)), Pointer.to(at(base, ry))));
        }

        public Object collect() {
          return readFloats(ry);
        }
      };
    } else if (request instanceof KernelRequest.SumMaxOf s) {
      return stageSumMax(s, layout);
    } else if (request instanceof KernelRequest.JacobiSteps j) {
      return stageJacobi(j, layout);
    }
    return stageNBody((KernelRequest.NBodySteps) request, layout);
  }

  private Staged stageGemm(KernelRequest.Gemm g, BatchLayout layout) {
    int m = g.a().rows();
    int k = g.a().cols();
    int n = g.b().cols();
    checkGridRows(blocks(m, GEMM_TILE), "a product with " + m + " rows");
    Region ra = layout.upload(g.a().values(), false);
    Region rb = layout.upload(g.b().values(), false);
    // With beta = 0 the kernel does not read C, so nothing is uploaded for it.
    Region rc = g.beta() == 0f ? layout.add(4L * m * n, null, true) : layout.upload(g.c().values(), true);
    return new Staged() {
      public void launch(CUdeviceptr base) {
        Pointer params = Pointer.to(ints(m), ints(n), ints(k), floats(g.alpha()),
            Pointer.to(at(base, ra)), Pointer.to(at(base, rb)), floats(g.beta()), Pointer.to(at(base, rc)));
        check(cuLaunchKernel(sgemm, blocks(n, GEMM_TILE), blocks(m, GEMM_TILE), 1, THREADS, 1, 1, 0, stream, params, null),
            "launching sgemm_tiled");
      }

      public Object collect() {
        return new Matrix(m, n, readFloats(rc));
      }
    };
  }

  private Staged stageSumMax(KernelRequest.SumMaxOf s, BatchLayout layout) {
    int n = s.x().length;
    int partials = Math.min(blocks(n, THREADS), 1024);
    Region rx = layout.upload(s.x(), false);
    Region partialSum = layout.add(8L * partials, null, false);
    Region partialMax = layout.add(4L * partials, null, false);
    Region sum = layout.add(8, null, true);
    Region max = layout.add(4, null, true);
    return new Staged() {
      public void launch(CUdeviceptr base) {
        launch1d(reducePartial, partials, "reduce_sum_max_partial",
            Pointer.to(ints(n), Pointer.to(at(base, rx)), Pointer.to(at(base, partialSum)), Pointer.to(at(base, partialMax))));
        launch1d(reduceFinal, 1, "reduce_sum_max_final",
            Pointer.to(ints(partials), Pointer.to(at(base, partialSum)), Pointer.to(at(base, partialMax)),
                Pointer.to(at(base, sum)), Pointer.to(at(base, max))));
      }

      public Object collect() {
        return new SumMax(stagingSlice(sum).getDouble(0), stagingSlice(max).getFloat(0));
      }
    };
  }

  private Staged stageJacobi(KernelRequest.JacobiSteps j, BatchLayout layout) {
    int rows = j.grid().rows();
    int cols = j.grid().cols();
    checkGridRows(blocks(rows, 8), "a grid of " + rows + " rows");
    boolean endsInSecond = j.steps() % 2 == 1;
    Region first = layout.upload(j.grid().values(), !endsInSecond);
    Region second = layout.add(4L * j.grid().size(), null, endsInSecond);
    return new Staged() {
      public void launch(CUdeviceptr base) {
        for (int step = 0; step < j.steps(); step++) {
          Region in = step % 2 == 0 ? first : second;
          Region out = step % 2 == 0 ? second : first;
          Pointer params = Pointer.to(ints(rows), ints(cols), Pointer.to(at(base, in)), Pointer.to(at(base, out)));
          check(cuLaunchKernel(jacobi, blocks(cols, 32), blocks(rows, 8), 1, 32, 8, 1, 0, stream, params, null),
              "launching jacobi_step");
        }
      }

      public Object collect() {
        return new Matrix(rows, cols, readFloats(endsInSecond ? second : first));
      }
    };
  }

  private Staged stageNBody(KernelRequest.NBodySteps s, BatchLayout layout) {
    int n = s.state().bodies();
    boolean endsInSecond = s.steps() % 2 == 1;
    Region pos0 = layout.upload(s.state().positionsAndMasses(), !endsInSecond);
    Region vel0 = layout.upload(s.state().velocities(), !endsInSecond);
    Region pos1 = layout.add(16L * n, null, endsInSecond);
    Region vel1 = layout.add(12L * n, null, endsInSecond);
    float softening2 = s.softening() * s.softening();
    return new Staged() {
      public void launch(CUdeviceptr base) {
        for (int step = 0; step < s.steps(); step++) {
          boolean even = step % 2 == 0;
          launch1d(nbody, blocks(n, THREADS), "nbody_step",
              Pointer.to(ints(n), floats(s.dt()), floats(softening2),
                  Pointer.to(at(base, even ? pos0 : pos1)), Pointer.to(at(base, even ? vel0 : vel1)),
                  Pointer.to(at(base, even ? pos1 : pos0)), Pointer.to(at(base, even ? vel1 : vel0))));
        }
      }

      public Object collect() {
        return new NBodyState(readFloats(endsInSecond ? pos1 : pos0), readFloats(endsInSecond ? vel1 : vel0));
      }
    };
  }

  /** CUDA limits a grid to 65,535 blocks in y: taller work is refused before anything is queued. */
  private static void checkGridRows(int gridRows, String what) {
    if (gridRows > MAX_GRID_Y) {
      throw new KernelFailedException(what + " is too tall for one launch on a GPU (at most " + MAX_GRID_Y
          + " blocks in y); it is computed on the CPU");
    }
  }

  private void launch1d(CUfunction function, int blocks, String name, Pointer params) {
    check(cuLaunchKernel(function, blocks, 1, 1, THREADS, 1, 1, 0, stream, params, null), "launching " + name);
  }

  private static int blocks(int n, int perBlock) {
    return (n + perBlock - 1) / perBlock;
  }

  private static Pointer ints(int value) {
    return Pointer.to(new int[] {value});
  }

  private static Pointer floats(float value) {
    return Pointer.to(new float[] {value});
  }

  private static CUdeviceptr at(CUdeviceptr base, Region region) {
    return base.withByteOffset(region.offset());
  }

  private ByteBuffer stagingSlice(Region region) {
    return stagingBuffer.slice((int) region.offset(), (int) region.bytes()).order(ByteOrder.nativeOrder());
  }

  private float[] readFloats(Region region) {
    float[] values = new float[(int) (region.bytes() / 4)];
    stagingSlice(region).asFloatBuffer().get(values);
    return values;
  }

  private void ensureStaging(long bytes) {
    if (bytes <= stagingBytes) {
      return;
    }
    long size = Math.min(Integer.MAX_VALUE, Math.max(bytes, Math.max(1L << 20, 2 * stagingBytes)));
    if (staging != null) {
      cuMemFreeHost(staging);
      staging = null;
      stagingBytes = 0;
    }
    Pointer pinned = new Pointer();
    int rc = cuMemAllocHost(pinned, size);
    if (rc != CUDA_SUCCESS) {
      throw new KernelFailedException("cannot pin " + (size >> 20) + " MiB of host memory for copies to " + info + ": "
          + CUresult.stringFor(rc));
    }
    staging = pinned;
    stagingBytes = size;
    stagingBuffer = pinned.getByteBuffer(0, size).order(ByteOrder.nativeOrder());
  }

  private String outOfMemory(long bytes) {
    long[] free = new long[1];
    long[] total = new long[1];
    cuMemGetInfo(free, total);
    return "out of GPU memory on " + info + ": this call needs " + (bytes >> 20) + " MiB, " + (free[0] >> 20)
        + " MiB are free";
  }

  private CUfunction function(String name) {
    CUfunction function = new CUfunction();
    check(cuModuleGetFunction(function, module, name), "finding kernel " + name + " in the PTX");
    return function;
  }

  /** Errors that leave the context usable become a failed call; all others lose the device. */
  private void check(int rc, String what) {
    if (rc == CUDA_SUCCESS) {
      return;
    }
    String message = what + " failed on " + info + ": " + CUresult.stringFor(rc) + ptxHint(rc);
    if (rc == CUDA_ERROR_OUT_OF_MEMORY) {
      throw new OutOfDeviceMemoryException(message);
    }
    if (rc == CUDA_ERROR_INVALID_VALUE || rc == CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES) {
      throw new KernelFailedException(message);
    }
    throw new DeviceLostException(message);
  }

  private static void checkOpen(int rc, String what, GpuDevice info) {
    if (rc != CUDA_SUCCESS) {
      throw new KernelFailedException("cannot open " + info + ": " + what + " failed: " + CUresult.stringFor(rc));
    }
  }

  private static String ptxHint(int rc) {
    return rc == CUresult.CUDA_ERROR_UNSUPPORTED_PTX_VERSION || rc == CUresult.CUDA_ERROR_INVALID_PTX
            || rc == CUresult.CUDA_ERROR_NO_BINARY_FOR_GPU
        ? " (the kernels are PTX ISA 9.0 from CUDA 13 for compute capability 7.5 and newer, which needs an NVIDIA driver 580 or newer)"
        : "";
  }

  static String ptx() {
    try (InputStream in = CudaDevice.class.getResourceAsStream(PTX_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("the kernels' PTX " + PTX_RESOURCE + " is not on the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public long deviceBytesInUse() {
    return pool.deviceBytes();
  }

  @Override
  public void close() {
    cuCtxSetCurrent(context);
    cuStreamSynchronize(stream);
    pool.trim();
    if (staging != null) {
      cuMemFreeHost(staging);
      staging = null;
    }
    cuStreamDestroy(stream);
    cuModuleUnload(module);
    cuCtxDestroy(context);
  }
}
