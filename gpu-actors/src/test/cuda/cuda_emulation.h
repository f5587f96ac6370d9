// Host emulation of the CUDA subset used by tessera_kernels.cu: one std::thread per CUDA thread,
// blocks run one after another (so a __shared__ variable, made static, is shared by the block).
#pragma once
#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <thread>
#include <vector>
#include <algorithm>
struct dim3 { unsigned x = 1, y = 1, z = 1; };
struct float4 { float x, y, z, w; };
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }
inline thread_local dim3 threadIdx, blockIdx;
inline dim3 blockDim, gridDim;
struct WarpCtx { std::barrier<> bar{32}; double d[32]; float f[32]; };
inline std::barrier<>* g_blockBar;
inline thread_local WarpCtx* t_warp;
inline thread_local int t_lane;
inline void __syncthreads() { g_blockBar->arrive_and_wait(); }
inline double __shfl_down_sync(unsigned, double v, int off) {
    t_warp->d[t_lane] = v; t_warp->bar.arrive_and_wait();
    double r = t_lane + off < 32 ? t_warp->d[t_lane + off] : v;
    t_warp->bar.arrive_and_wait(); return r;
}
inline float __shfl_down_sync(unsigned, float v, int off) {
    t_warp->f[t_lane] = v; t_warp->bar.arrive_and_wait();
    float r = t_lane + off < 32 ? t_warp->f[t_lane + off] : v;
    t_warp->bar.arrive_and_wait(); return r;
}
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fmul_rn(float a, float b) { return a * b; }
using std::min;
#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))

template <typename F>
void launch(dim3 grid, dim3 block, F&& body) {
    gridDim = grid; blockDim = block;
    unsigned nt = block.x * block.y * block.z;
    for (unsigned bz = 0; bz < grid.z; ++bz)
    for (unsigned by = 0; by < grid.y; ++by)
    for (unsigned bx = 0; bx < grid.x; ++bx) {
        std::barrier<> bar(nt);
        g_blockBar = &bar;
        std::vector<std::unique_ptr<WarpCtx>> warps;
        for (unsigned w = 0; w < (nt + 31) / 32; ++w) warps.emplace_back(new WarpCtx());
        std::vector<std::thread> ts;
        for (unsigned t = 0; t < nt; ++t) {
            ts.emplace_back([&, t] {
                threadIdx.x = t % block.x; threadIdx.y = (t / block.x) % block.y; threadIdx.z = t / (block.x * block.y);
                blockIdx.x = bx; blockIdx.y = by; blockIdx.z = bz;
                t_warp = warps[t / 32].get(); t_lane = t % 32;
                body();
            });
        }
        for (auto& th : ts) th.join();
    }
}
