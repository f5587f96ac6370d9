#!/usr/bin/env python3
"""cuBLAS FP32 SGEMM on the same card, the baseline for sgemm_tiled (bin/bench-kernels).

TF32 is off, so cuBLAS does true float32 products, as our kernel does. Each size is timed
with CUDA events around single launches on device-resident matrices, like
CudaDevice.sgemmKernelMillis; the median is reported.

Usage: python3 benchmarks/cublas_sgemm.py [reps]
"""
import statistics
import sys

import torch

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False


def main() -> None:
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    if not torch.cuda.is_available():
        print("cuBLAS: no CUDA device")
        return
    print(f"cuBLAS FP32 on {torch.cuda.get_device_name(0)}, torch {torch.__version__}, TF32 off")
    for n in (1024, 2048, 4096):
        a = torch.rand((n, n), device="cuda", dtype=torch.float32)
        b = torch.rand((n, n), device="cuda", dtype=torch.float32)
        c = torch.empty((n, n), device="cuda", dtype=torch.float32)
        torch.mm(a, b, out=c)  # warm-up: picks the kernel
        start = torch.cuda.Event(enable_timing=True)
        stop = torch.cuda.Event(enable_timing=True)
        times = []
        for _ in range(reps):
            start.record()
            torch.mm(a, b, out=c)
            stop.record()
            stop.synchronize()
            times.append(start.elapsed_time(stop))
        ms = statistics.median(times)
        print(f"cuBLAS sgemm {n}: {ms:.3f} ms, {2 * n ** 3 / ms / 1e6:.0f} GFLOP/s")


if __name__ == "__main__":
    main()
