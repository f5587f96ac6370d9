// Tessera GPU kernels (module gpu-actors).
//
// Compiled to PTX, never to a cubin, and the PTX is committed under
// src/main/resources/dev/tessera/gpu/kernels/tessera_kernels.ptx:
//
//     nvcc -ptx -O3 -arch=compute_75 -o tessera_kernels.ptx tessera_kernels.cu
//
// (gpu-actors/bin/ptx-regenerate runs exactly that; gpu-actors/bin/ptx-check checks it.)
// compute_75 lets the driver JIT the module on Turing (sm_75) and every newer GPU.
// DRIVER REQUIREMENT: PTX emitted by CUDA 13.0 is PTX ISA 9.0, which only an NVIDIA
// driver >= 580 can JIT; an older driver fails cuModuleLoad* with
// CUDA_ERROR_UNSUPPORTED_PTX_VERSION.
//
// Conventions for every kernel:
//   * every entry point is extern "C" (unmangled names for cuModuleGetFunction);
//   * matrices are row-major float32; sizes are any value >= 1; every access is bounds-checked;
//   * no alignment is assumed beyond 4 bytes for float data, except where stated
//     (nbody_step's float4 arrays; sgemm_tiled checks at run time before a float4 store);
//   * the launch configuration written above each kernel is a CONTRACT: the kernels rely on
//     it (tile sizes and shared-memory arrays are sized for it). None uses dynamic shared memory.
//   * input and output arrays must not overlap (__restrict__).

#include <cstdint>
#include <math_constants.h>

// =====================================================================================
// 1. SGEMM: C = alpha * A * B + beta * C
//    A is MxK, B is KxN, C is MxN, all row-major float32.
//    If beta == 0.0f, C is never read (it may hold NaN garbage): C = alpha * A * B.
//
//    Launch: blockDim = (256, 1, 1), gridDim = (ceil(N / 128), ceil(M / 128), 1),
//            no dynamic shared memory (16,640 bytes of static shared memory per block).
//            gridDim.y <= 65535 limits M to 8,388,480.
//
//    Design (2D block tiling, double-buffered):
//      * block tile 128 (rows of C) x 128 (columns of C), K step BK = 8;
//      * 256 threads, each owns an 8x8 register block of C, made of rows
//        {4*tRow .. 4*tRow+3} U {64+4*tRow .. 64+4*tRow+3} and the same split for columns
//        (tRow, tCol in 0..15); the split halves make each thread's shared-memory reads one
//        float4 per half, and a warp's float4 reads contiguous (conflict-free);
//      * the A tile is stored transposed (As[k][m]) so the inner loop reads 4 consecutive m
//        as one float4; rows are padded to 132 floats so the transposing stores are
//        conflict-free too;
//      * global loads are scalar (no float4: K or N not a multiple of 4 breaks row alignment),
//        coalesced, zero-filled outside the matrix; the next tile is loaded into registers
//        while the current one is computed, then stored into the other shared buffer, so the
//        main loop has one __syncthreads per tile.
// =====================================================================================

#define SG_BM 128
#define SG_BN 128
#define SG_BK 8
#define SG_THREADS 256
#define SG_APAD 4   // As row length 132 floats: keeps float4 alignment, avoids store conflicts

typedef float SgTileA[2][SG_BK][SG_BM + SG_APAD];   // [buffer][k][m], A tile transposed
typedef float SgTileB[2][SG_BK][SG_BN];             // [buffer][k][n]

// Per-thread state of the global -> shared tile copy (see sgemm_tiled for the mapping).
struct SgLoader {
    const float* aPtr;   // A[blockRow0 + aRow][kBase + aCol], for the tile last loaded
    const float* bPtr;   // B[kBase + bRow][blockCol0 + bCol], for the tile last loaded
    unsigned uK;         // K, as the unsigned factor of 32x32 -> 64-bit offsets
    unsigned uN;         // N, likewise
    int aRowsLeft;       // A row r (of 4) is inside iff 32*r < aRowsLeft
    int bColsLeft;       // B column q (of 4) is inside iff 32*q < bColsLeft
    int aKLeft;          // the A element of the tile at kBase is inside iff kBase < aKLeft
    int bKLeft;          // the B element of the tile at kBase is inside iff kBase < bKLeft
};

// Loads this thread's 4 A and 4 B elements of the tile starting at k = kBase (the loader's
// pointers must already point at that tile); out-of-range elements read as 0.
__device__ __forceinline__ void sgemm_load_tile(const SgLoader& L, int kBase,
                                                float (&aReg)[4], float (&bReg)[4])
{
    const bool aKOk = kBase < L.aKLeft;
    const bool bKOk = kBase < L.bKLeft;
#pragma unroll
    for (int r = 0; r < 4; ++r)
        aReg[r] = (aKOk && 32 * r < L.aRowsLeft) ? L.aPtr[(size_t)L.uK * (unsigned)(32 * r)] : 0.0f;
#pragma unroll
    for (int q = 0; q < 4; ++q)
        bReg[q] = (bKOk && 32 * q < L.bColsLeft) ? L.bPtr[32 * q] : 0.0f;
}

template <int BUF>
__device__ __forceinline__ void sgemm_store_tile(SgTileA& As, SgTileB& Bs, int tid,
                                                 const float (&aReg)[4], const float (&bReg)[4])
{
    const int aRow = tid >> 3, aCol = tid & 7;
    const int bRow = tid >> 5, bCol = tid & 31;
#pragma unroll
    for (int r = 0; r < 4; ++r) As[BUF][aCol][aRow + 32 * r] = aReg[r];
#pragma unroll
    for (int q = 0; q < 4; ++q) Bs[BUF][bRow][bCol + 32 * q] = bReg[q];
}

// acc += (8 k of the tile in buffer BUF): 8 outer products of this thread's 8 A values
// (rows 4*tRow..+3 and 64+4*tRow..+3) and 8 B values (columns 4*tCol..+3, 64+4*tCol..+3).
template <int BUF>
__device__ __forceinline__ void sgemm_compute_tile(const SgTileA& As, const SgTileB& Bs,
                                                   int tRow, int tCol, float (&acc)[8][8])
{
#pragma unroll
    for (int k = 0; k < SG_BK; ++k) {
        const float4 a0 = *reinterpret_cast<const float4*>(&As[BUF][k][tRow * 4]);
        const float4 a1 = *reinterpret_cast<const float4*>(&As[BUF][k][tRow * 4 + 64]);
        const float4 b0 = *reinterpret_cast<const float4*>(&Bs[BUF][k][tCol * 4]);
        const float4 b1 = *reinterpret_cast<const float4*>(&Bs[BUF][k][tCol * 4 + 64]);
        const float a[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
        const float b[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
        for (int i = 0; i < 8; ++i)
#pragma unroll
            for (int j = 0; j < 8; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
}

// One main-loop step on tile t, held in buffer BUF: start the global loads of tile t+1,
// compute tile t, store tile t+1 into the other buffer, barrier.
// Storing into the other buffer needs no barrier before it: its last reads were in the step
// on tile t-1, and every thread has passed that step's closing barrier since.
template <int BUF>
__device__ __forceinline__ void sgemm_step(SgTileA& As, SgTileB& Bs, SgLoader& L, int tid,
                                           int t, int numTiles, int tRow, int tCol,
                                           float (&acc)[8][8])
{
    float aReg[4], bReg[4];
    const bool hasNext = (t + 1) < numTiles;
    if (hasNext) {
        L.aPtr += SG_BK;
        L.bPtr += (size_t)L.uN * (unsigned)SG_BK;
        sgemm_load_tile(L, (t + 1) * SG_BK, aReg, bReg);   // in flight during the math
    }
    sgemm_compute_tile<BUF>(As, Bs, tRow, tCol, acc);
    if (hasNext) sgemm_store_tile<BUF ^ 1>(As, Bs, tid, aReg, bReg);
    __syncthreads();
}

extern "C" __global__ void __launch_bounds__(SG_THREADS, 2)
sgemm_tiled(int M, int N, int K, float alpha,
            const float* __restrict__ A, const float* __restrict__ B,
            float beta, float* __restrict__ C)
{
    __shared__ __align__(16) SgTileA As;
    __shared__ __align__(16) SgTileB Bs;

    const int tid = threadIdx.x;
    const int blockRow0 = blockIdx.y * SG_BM;   // first row of C (and A) of this block
    const int blockCol0 = blockIdx.x * SG_BN;   // first column of C (and B) of this block

    // ---- global -> shared mapping -------------------------------------------------------
    // A tile (128 rows x 8 k): thread loads rows aRow + 32*r (r = 0..3) at k = aCol; a warp
    // reads 4 rows x 8 consecutive floats per load instruction. Stored transposed,
    // As[aCol][aRow + 32*r]: with the 132-float rows the 32 stores of a warp hit 32 banks.
    const int aRow = tid >> 3;    // 0..31
    const int aCol = tid & 7;     // 0..7
    // B tile (8 k x 128 cols): thread loads k-row bRow at columns bCol + 32*q (q = 0..3); a
    // warp reads 32 consecutive floats of one row per load instruction.
    const int bRow = tid >> 5;    // 0..7
    const int bCol = tid & 31;    // 0..31

    // Offsets are 32x32 -> 64-bit unsigned products (every factor is >= 0), so a matrix may
    // exceed 2^31 elements. The pointers are only dereferenced under the bounds checks.
    SgLoader L;
    L.uK = (unsigned)K;
    L.uN = (unsigned)N;
    L.aPtr = A + (size_t)(unsigned)(blockRow0 + aRow) * L.uK + (unsigned)aCol;
    L.bPtr = B + (size_t)(unsigned)bRow * L.uN + (unsigned)(blockCol0 + bCol);
    L.aRowsLeft = M - (blockRow0 + aRow);
    L.bColsLeft = N - (blockCol0 + bCol);
    L.aKLeft = K - aCol;
    L.bKLeft = K - bRow;

    // ---- compute mapping ------------------------------------------------------------------
    const int tRow = tid >> 4;    // 0..15
    const int tCol = tid & 15;    // 0..15

    float acc[8][8];
#pragma unroll
    for (int i = 0; i < 8; ++i)
#pragma unroll
        for (int j = 0; j < 8; ++j) acc[i][j] = 0.0f;

    const int numTiles = (K + SG_BK - 1) / SG_BK;

    // Prologue: tile 0 -> registers -> buffer 0.
    {
        float aReg[4], bReg[4];
        sgemm_load_tile(L, 0, aReg, bReg);
        sgemm_store_tile<0>(As, Bs, tid, aReg, bReg);
    }
    __syncthreads();

    // Tile t lives in buffer t & 1. The loop is unrolled by two so both buffer indices are
    // compile-time constants (a run-time index costs the registers that make it spill).
    for (int t = 0; t < numTiles; t += 2) {
        sgemm_step<0>(As, Bs, L, tid, t, numTiles, tRow, tCol, acc);
        if (t + 1 >= numTiles) break;
        sgemm_step<1>(As, Bs, L, tid, t + 1, numTiles, tRow, tCol, acc);
    }

    // ---- epilogue -------------------------------------------------------------------------
    // float4 stores when every row start is 16-byte aligned (N % 4 == 0 and C 16-byte
    // aligned); column groups start at multiples of 4, so col0 < N then implies col0 + 3 < N.
    const bool vec = ((N & 3) == 0) && ((reinterpret_cast<uintptr_t>(C) & 15u) == 0);
    const bool readC = (beta != 0.0f);
#pragma unroll
    for (int i = 0; i < 8; ++i) {
        const int row = blockRow0 + (i < 4 ? tRow * 4 + i : 64 + tRow * 4 + (i - 4));
        if (row >= M) continue;
        float* cRow = C + (size_t)row * (size_t)N;
#pragma unroll
        for (int h = 0; h < 2; ++h) {
            const int col0 = blockCol0 + h * 64 + tCol * 4;
            if (col0 >= N) continue;
            float* cp = cRow + col0;
            float v0 = alpha * acc[i][h * 4 + 0];
            float v1 = alpha * acc[i][h * 4 + 1];
            float v2 = alpha * acc[i][h * 4 + 2];
            float v3 = alpha * acc[i][h * 4 + 3];
            if (vec) {
                if (readC) {
                    const float4 old = *reinterpret_cast<const float4*>(cp);
                    v0 = fmaf(beta, old.x, v0);
                    v1 = fmaf(beta, old.y, v1);
                    v2 = fmaf(beta, old.z, v2);
                    v3 = fmaf(beta, old.w, v3);
                }
                *reinterpret_cast<float4*>(cp) = make_float4(v0, v1, v2, v3);
            } else {
                const float v[4] = {v0, v1, v2, v3};
#pragma unroll
                for (int q = 0; q < 4; ++q) {
                    if (col0 + q < N) {
                        cp[q] = readC ? fmaf(beta, cp[q], v[q]) : v[q];
                    }
                }
            }
        }
    }
}

// =====================================================================================
// 2. SAXPY: y[i] = a * x[i] + y[i], for 0 <= i < n.
//    Computed as fmaf(a, x[i], y[i]) (one rounding): a CPU reference that must match bit for
//    bit uses Math.fma(a, x[i], y[i]).
//    Launch: blockDim = (256, 1, 1), gridDim = (min(ceil(n / 256), 4096), 1, 1).
//    Any grid works (grid-stride loop).
// =====================================================================================
extern "C" __global__ void __launch_bounds__(256)
saxpy(int n, float a, const float* __restrict__ x, float* __restrict__ y)
{
    const size_t count = n > 0 ? (size_t)n : 0;
    const size_t stride = (size_t)blockDim.x * gridDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < count; i += stride) {
        y[i] = fmaf(a, x[i], y[i]);
    }
}

// =====================================================================================
// 3. One-pass sum and max, in two kernels.
//
//    Sum: accumulated in double (each float converted exactly); NaN and +-inf propagate
//    naturally (a NaN input, or +inf and -inf together, give NaN).
//    Max: NaN inputs are IGNORED (fmaxf returns the non-NaN operand). The identity is
//    -INFINITY, so an input of only NaNs gives max = -inf (the Java side defines the same).
//    -0.0f and +0.0f compare equal; which of the two a max of zeros returns is unspecified.
//    The order of the additions is fixed by the launch configuration, so results are
//    deterministic run to run for a given n and grid, but not bit-identical to a sequential
//    CPU sum.
//
//    reduce_sum_max_partial: blockDim = (256, 1, 1), gridDim = (g, 1, 1) with
//        g = min(ceil(n / 256), 1024); partialSum and partialMax must hold g elements.
//    reduce_sum_max_final: blockDim = (256, 1, 1), gridDim = (1, 1, 1); reduces the g
//        partials into outSum[0] and outMax[0].
//    The block size must be a multiple of 32 (at most 1024); 256 is the contract.
// =====================================================================================

__device__ __forceinline__ void warp_reduce_sum_max(double& s, float& m)
{
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) {
        s += __shfl_down_sync(0xffffffffu, s, off);
        m = fmaxf(m, __shfl_down_sync(0xffffffffu, m, off));
    }
}

// Reduces (s, m) over the whole block; the result is valid in thread 0 only.
__device__ __forceinline__ void block_reduce_sum_max(double& s, float& m)
{
    __shared__ double warpSum[32];
    __shared__ float warpMax[32];
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    const int numWarps = (blockDim.x + 31) >> 5;

    warp_reduce_sum_max(s, m);
    if (lane == 0) {
        warpSum[warp] = s;
        warpMax[warp] = m;
    }
    __syncthreads();
    if (warp == 0) {
        s = lane < numWarps ? warpSum[lane] : 0.0;
        m = lane < numWarps ? warpMax[lane] : -CUDART_INF_F;
        warp_reduce_sum_max(s, m);
    }
}

extern "C" __global__ void __launch_bounds__(256)
reduce_sum_max_partial(int n, const float* __restrict__ x,
                       double* __restrict__ partialSum, float* __restrict__ partialMax)
{
    const size_t count = n > 0 ? (size_t)n : 0;
    const size_t stride = (size_t)blockDim.x * gridDim.x;
    double s = 0.0;
    float m = -CUDART_INF_F;   // identity of the NaN-ignoring max
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < count; i += stride) {
        const float v = x[i];
        s += (double)v;
        m = fmaxf(m, v);
    }
    block_reduce_sum_max(s, m);
    if (threadIdx.x == 0) {
        partialSum[blockIdx.x] = s;
        partialMax[blockIdx.x] = m;
    }
}

extern "C" __global__ void __launch_bounds__(256)
reduce_sum_max_final(int g, const double* __restrict__ partialSum,
                     const float* __restrict__ partialMax,
                     double* __restrict__ outSum, float* __restrict__ outMax)
{
    double s = 0.0;
    float m = -CUDART_INF_F;
    for (int i = threadIdx.x; i < g; i += blockDim.x) {
        s += partialSum[i];
        m = fmaxf(m, partialMax[i]);
    }
    block_reduce_sum_max(s, m);
    if (threadIdx.x == 0) {
        outSum[0] = s;
        outMax[0] = m;
    }
}

// =====================================================================================
// 4. One Jacobi step for Laplace's equation, fixed (Dirichlet) boundary.
//    Interior (0 < i < rows-1, 0 < j < cols-1):
//        out[i][j] = 0.25f * ((in[i-1][j] + in[i+1][j]) + (in[i][j-1] + in[i][j+1]))
//    in exactly that order, float arithmetic, no fused operations (there is no a*b+c to
//    fuse), so a Java float implementation with the same parenthesisation matches bit for bit.
//    Boundary (i == 0, i == rows-1, j == 0, j == cols-1): out = in, unchanged.
//    in and out must be distinct buffers (ping-pong them between steps).
//    Launch: blockDim = (32, 8, 1), gridDim = (ceil(cols / 32), ceil(rows / 8), 1).
//            gridDim.y <= 65535 limits rows to 524,280.
// =====================================================================================
extern "C" __global__ void __launch_bounds__(256)
jacobi_step(int rows, int cols, const float* __restrict__ in, float* __restrict__ out)
{
    const int j = blockIdx.x * blockDim.x + threadIdx.x;   // column
    const int i = blockIdx.y * blockDim.y + threadIdx.y;   // row
    if (i >= rows || j >= cols) return;

    const size_t w = (size_t)cols;
    const size_t idx = (size_t)i * w + (size_t)j;
    if (i == 0 || i == rows - 1 || j == 0 || j == cols - 1) {
        out[idx] = in[idx];
    } else {
        const float up = in[idx - w];
        const float down = in[idx + w];
        const float left = in[idx - 1];
        const float right = in[idx + 1];
        out[idx] = __fmul_rn(0.25f, __fadd_rn(__fadd_rn(up, down), __fadd_rn(left, right)));
    }
}

// =====================================================================================
// 5. One N-body step (G = 1, softened gravity, semi-implicit Euler).
//    posMass: n float4 (x, y, z, mass); vel: 3n floats (vx, vy, vz interleaved).
//    For body i:  a_i = sum over all j (j == i included; it adds exactly 0 because d = 0)
//                       of m_j * d / (|d|^2 + softening2)^(3/2),   d = r_j - r_i
//                 v' = v + a * dt;  r' = r + v' * dt;  mass unchanged.
//    softening2 must be > 0 (and not so small that softening2^-1.5 overflows float).
//    1/sqrt is rsqrtf (approximate, ~2 ulp) and the products are fused (fmaf), so a CPU
//    reference matches only to a tolerance. j is summed in increasing order.
//    posMassIn/posMassOut and velIn/velOut must be distinct buffers (ping-pong them).
//    posMassIn and posMassOut must be 16-byte aligned (cuMemAlloc pointers are).
//    Launch: blockDim = (256, 1, 1), gridDim = (ceil(n / 256), 1, 1); 4,096 bytes of static
//            shared memory. Threads with i >= n help load tiles but write nothing.
// =====================================================================================

#define NB_TILE 256

extern "C" __global__ void __launch_bounds__(NB_TILE)
nbody_step(int n, float dt, float softening2,
           const float4* __restrict__ posMassIn, const float* __restrict__ velIn,
           float4* __restrict__ posMassOut, float* __restrict__ velOut)
{
    __shared__ float4 tile[NB_TILE];

    const int i = blockIdx.x * NB_TILE + threadIdx.x;
    const bool active = i < n;
    const float4 pi = active ? posMassIn[i] : make_float4(0.0f, 0.0f, 0.0f, 0.0f);

    float ax = 0.0f, ay = 0.0f, az = 0.0f;
    for (int base = 0; base < n; base += NB_TILE) {
        const int j = base + threadIdx.x;
        tile[threadIdx.x] = (j < n) ? posMassIn[j] : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
        __syncthreads();

        const int count = min(NB_TILE, n - base);   // only real bodies of this tile
#pragma unroll 8
        for (int k = 0; k < count; ++k) {
            const float4 pj = tile[k];
            const float dx = pj.x - pi.x;
            const float dy = pj.y - pi.y;
            const float dz = pj.z - pi.z;
            const float d2 = fmaf(dx, dx, fmaf(dy, dy, fmaf(dz, dz, softening2)));
            const float inv = rsqrtf(d2);
            const float s = pj.w * (inv * inv * inv);   // m_j / (|d|^2 + eps^2)^(3/2)
            ax = fmaf(dx, s, ax);
            ay = fmaf(dy, s, ay);
            az = fmaf(dz, s, az);
        }
        __syncthreads();   // the tile is overwritten in the next iteration
    }

    if (active) {
        const size_t v = (size_t)3 * (size_t)i;
        const float vx = fmaf(ax, dt, velIn[v + 0]);
        const float vy = fmaf(ay, dt, velIn[v + 1]);
        const float vz = fmaf(az, dt, velIn[v + 2]);
        velOut[v + 0] = vx;
        velOut[v + 1] = vy;
        velOut[v + 2] = vz;
        posMassOut[i] = make_float4(fmaf(vx, dt, pi.x), fmaf(vy, dt, pi.y),
                                    fmaf(vz, dt, pi.z), pi.w);
    }
}
