"""The committed PTX run through CuPy, without JCuda or Java: tells a kernel bug from a host-code bug.

Checks sgemm_tiled (five shapes, with and without beta, against float64 within the bound of
KernelsContract), saxpy and the sum/max reduction, then times sgemm_tiled at 1024/2048/4096 with
CUDA events (the same launch as CudaDevice.sgemmKernelMillis). Needs a GPU and cupy.

Usage, from the repository root: python3 gpu-actors/bench/ptx_cupy.py
"""
import sys
import numpy as np
import cupy as cp

ptx = "gpu-actors/src/main/resources/dev/tessera/gpu/kernels/tessera_kernels.ptx"
mod = cp.RawModule(path=ptx)
sgemm = mod.get_function("sgemm_tiled")
saxpy = mod.get_function("saxpy")
part = mod.get_function("reduce_sum_max_partial")
final = mod.get_function("reduce_sum_max_final")
rng = np.random.default_rng(1)
ok = True
for (m, k, n, beta) in [(1, 1, 1, 0.0), (17, 17, 17, 0.5), (255, 17, 1000, 0.0), (1000, 1000, 1000, 0.25), (129, 257, 255, 1.0)]:
    a = rng.uniform(-1, 1, (m, k)).astype(np.float32)
    b = rng.uniform(-1, 1, (k, n)).astype(np.float32)
    c = rng.uniform(-1, 1, (m, n)).astype(np.float32)
    da, db, dc = cp.asarray(a), cp.asarray(b), cp.asarray(c)
    sgemm(((n + 127) // 128, (m + 127) // 128, 1), (256, 1, 1),
          (np.int32(m), np.int32(n), np.int32(k), np.float32(1.5), da, db, np.float32(beta), dc))
    got = cp.asnumpy(dc).astype(np.float64)
    ref = 1.5 * a.astype(np.float64) @ b.astype(np.float64) + beta * c.astype(np.float64)
    bound = (k + 2) * 2 * 2.0**-24 * (1.5 * np.abs(a).astype(np.float64) @ np.abs(b) + abs(beta) * np.abs(c))
    err = np.abs(got - ref)
    good = bool(np.all(err <= bound + 1e-30))
    ok &= good
    print(f"sgemm {m}x{k}x{n} beta={beta}: max err {err.max():.3g}, max bound {bound.max():.3g}, {'ok' if good else 'FAIL'}")
x = rng.uniform(-1, 1, 1_000_003).astype(np.float32); y = rng.uniform(-1, 1, x.size).astype(np.float32)
dy = cp.asarray(y)
saxpy((min((x.size + 255) // 256, 4096), 1, 1), (256, 1, 1), (np.int32(x.size), np.float32(2.0), cp.asarray(x), dy))
e = np.abs(cp.asnumpy(dy) - (2.0 * x.astype(np.float64) + y)).max(); print(f"saxpy: max err {e:.3g}"); ok &= e < 1e-6
g = min((x.size + 255) // 256, 1024)
ps, pm, s, mx = cp.empty(g, cp.float64), cp.empty(g, cp.float32), cp.empty(1, cp.float64), cp.empty(1, cp.float32)
part((g, 1, 1), (256, 1, 1), (np.int32(x.size), cp.asarray(x), ps, pm))
final((1, 1, 1), (256, 1, 1), (np.int32(g), ps, pm, s, mx))
rs, rm = x.astype(np.float64).sum(), x.max()
print(f"sum/max: {float(s[0])} vs {rs}, {float(mx[0])} vs {rm}"); ok &= abs(float(s[0]) - rs) < 1e-6 and float(mx[0]) == rm
for n in (1024, 2048, 4096):
    d = [cp.full((n, n), 0.5, cp.float32) for _ in range(3)]
    args = (np.int32(n), np.int32(n), np.int32(n), np.float32(1), d[0], d[1], np.float32(0), d[2])
    grid = ((n + 127) // 128, (n + 127) // 128, 1)
    sgemm(grid, (256, 1, 1), args)
    t = []
    for _ in range(10):
        st, en = cp.cuda.Event(), cp.cuda.Event(); st.record(); sgemm(grid, (256, 1, 1), args); en.record(); en.synchronize()
        t.append(cp.cuda.get_elapsed_time(st, en))
    ms = float(np.median(t)); print(f"sgemm_tiled via CuPy {n}: {ms:.3f} ms, {2*n**3/ms/1e6:.0f} GFLOP/s")
print("PTX via CuPy:", "OK" if ok else "FAIL")
sys.exit(0 if ok else 1)
