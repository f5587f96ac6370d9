// The kernels of src/main/cuda/tessera_kernels.cu, unmodified, compiled as C++ against a host
// emulation of the CUDA subset they use (cuda_emulation.h: one std::thread per CUDA thread, real
// barriers for __syncthreads and warp shuffles), and checked against double-precision references on
// awkward sizes. It runs in every build where g++ exists (bin/kernel-emulation-test), so a kernel
// change is checked on machines without a GPU: index arithmetic, bounds, barriers and NaN rules,
// though not speed, nor anything the emulation cannot see (memory coalescing, real warp timing).
#include "cuda_emulation.h"
#include "tessera_kernels.cu"
#include <cstdio>
#include <random>
static int failures = 0;
#define CHECK(c, ...) do { if (!(c)) { ++failures; if (failures < 30) { printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } } } while (0)
static std::mt19937 rng(42);
static float urand() { return std::uniform_real_distribution<float>(-1.f, 1.f)(rng); }
static unsigned cdiv(long a, long b) { return (unsigned)((a + b - 1) / b); }

static void test_sgemm(int M, int N, int K, float alpha, float beta, bool misalignC) {
    std::vector<float> A((size_t)M * K), B((size_t)K * N);
    for (auto& v : A) v = urand();
    for (auto& v : B) v = urand();
    const size_t guard = 37;
    std::vector<float> Cbuf((size_t)M * N + guard + 1);
    float* C = Cbuf.data() + (misalignC ? 1 : 0);
    std::vector<float> C0((size_t)M * N);
    for (size_t i = 0; i < C0.size(); ++i) C0[i] = beta == 0.f ? NAN : urand();
    std::copy(C0.begin(), C0.end(), C);
    for (size_t g = 0; g < guard; ++g) C[(size_t)M * N + g] = 12345.f;
    const float* pA = A.data(); const float* pB = B.data();
    launch({cdiv(N, 128), cdiv(M, 128), 1}, {256, 1, 1}, [&] { sgemm_tiled(M, N, K, alpha, pA, pB, beta, C); });
    double maxErr = 0;
    for (int i = 0; i < M; ++i) for (int j = 0; j < N; ++j) {
        double r = 0, mag = 0;
        for (int k = 0; k < K; ++k) { r += (double)A[(size_t)i*K+k] * B[(size_t)k*N+j]; mag += std::fabs((double)A[(size_t)i*K+k] * B[(size_t)k*N+j]); }
        double ref = alpha * r + (beta == 0.f ? 0.0 : beta * (double)C0[(size_t)i*N+j]);
        double got = C[(size_t)i*N+j];
        double tol = 1e-5 * (std::fabs(alpha) * mag + std::fabs(beta) + 1e-3);
        double err = std::fabs(got - ref);
        maxErr = std::max(maxErr, err);
        CHECK(std::isfinite(got) && err <= tol, "sgemm M=%d N=%d K=%d beta=%g C[%d][%d]=%g ref=%g", M, N, K, beta, i, j, got, ref);
    }
    for (size_t g = 0; g < guard; ++g) CHECK(C[(size_t)M * N + g] == 12345.f, "sgemm wrote past C (M=%d N=%d K=%d)", M, N, K);
    printf("sgemm M=%d N=%d K=%d alpha=%g beta=%g misalignC=%d maxErr=%.3g\n", M, N, K, alpha, beta, misalignC, maxErr);
}

static void test_saxpy(int n, unsigned grid) {
    std::vector<float> x(n), y(n), y0;
    for (auto& v : x) v = urand();
    for (auto& v : y) v = urand();
    y0 = y; float a = 1.7f;
    const float* px = x.data(); float* py = y.data();
    launch({grid, 1, 1}, {256, 1, 1}, [&] { saxpy(n, a, px, py); });
    for (int i = 0; i < n; ++i) CHECK(y[i] == std::fmaf(a, x[i], y0[i]), "saxpy n=%d i=%d", n, i);
    printf("saxpy n=%d grid=%u ok\n", n, grid);
}

static void test_reduce(int n, int nanMode) {
    std::vector<float> x(n);
    for (auto& v : x) v = urand() * 100.f;
    if (nanMode == 1) for (int i = 0; i < n; i += 3) x[i] = NAN;
    if (nanMode == 2) for (auto& v : x) v = NAN;
    if (nanMode == 3) for (auto& v : x) v = -std::fabs(v) - 1.f;   // all negative
    unsigned g = std::min(cdiv(n, 256), 1024u);
    std::vector<double> ps(g); std::vector<float> pm(g);
    double outS = 777; float outM = 777;
    const float* px = x.data(); double* pps = ps.data(); float* ppm = pm.data();
    launch({g, 1, 1}, {256, 1, 1}, [&] { reduce_sum_max_partial(n, px, pps, ppm); });
    launch({1, 1, 1}, {256, 1, 1}, [&] { reduce_sum_max_final((int)g, pps, ppm, &outS, &outM); });
    double refS = 0; float refM = -INFINITY; bool anyNan = false;
    for (float v : x) { refS += v; if (std::isnan(v)) anyNan = true; else refM = std::max(refM, v); }
    if (anyNan) CHECK(std::isnan(outS), "reduce n=%d sum should be NaN, got %g", n, outS);
    else CHECK(std::fabs(outS - refS) <= 1e-9 * (std::fabs(refS) + n * 100.0), "reduce n=%d sum %.17g ref %.17g", n, outS, refS);
    CHECK(outM == refM || (std::isinf(refM) && outM == refM), "reduce n=%d max %g ref %g", n, outM, refM);
    printf("reduce n=%d nanMode=%d g=%u sum=%.10g max=%g\n", n, nanMode, g, outS, outM);
}

static void test_jacobi(int rows, int cols) {
    std::vector<float> in((size_t)rows * cols), out((size_t)rows * cols + 5, 999.f);
    for (auto& v : in) v = urand();
    const float* pin = in.data(); float* pout = out.data();
    launch({cdiv(cols, 32), cdiv(rows, 8), 1}, {32, 8, 1}, [&] { jacobi_step(rows, cols, pin, pout); });
    for (int i = 0; i < rows; ++i) for (int j = 0; j < cols; ++j) {
        size_t k = (size_t)i * cols + j;
        float ref;
        if (i == 0 || i == rows - 1 || j == 0 || j == cols - 1) ref = in[k];
        else { volatile float ud = in[k - cols] + in[k + cols]; volatile float lr = in[k - 1] + in[k + 1]; volatile float s = ud + lr; ref = 0.25f * s; }
        CHECK(std::memcmp(&ref, &out[k], 4) == 0, "jacobi %dx%d at %d,%d", rows, cols, i, j);
    }
    for (int g = 0; g < 5; ++g) CHECK(out[(size_t)rows * cols + g] == 999.f, "jacobi wrote past end");
    printf("jacobi %dx%d ok\n", rows, cols);
}

static void test_nbody(int n) {
    std::vector<float4> p(n), po(n); std::vector<float> v(3 * n), vo(3 * n);
    for (auto& q : p) q = {urand() * 10, urand() * 10, urand() * 10, std::fabs(urand()) + 0.1f};
    for (auto& q : v) q = urand();
    float dt = 0.01f, eps2 = 0.05f;
    const float4* pp = p.data(); const float* pv = v.data(); float4* ppo = po.data(); float* pvo = vo.data();
    launch({cdiv(n, 256), 1, 1}, {256, 1, 1}, [&] { nbody_step(n, dt, eps2, pp, pv, ppo, pvo); });
    double maxRel = 0;
    for (int i = 0; i < n; ++i) {
        double a[3] = {0, 0, 0};
        for (int j = 0; j < n; ++j) {
            double d[3] = {(double)p[j].x - p[i].x, (double)p[j].y - p[i].y, (double)p[j].z - p[i].z};
            double d2 = d[0]*d[0] + d[1]*d[1] + d[2]*d[2] + eps2;
            double s = p[j].w / (d2 * std::sqrt(d2));
            for (int c = 0; c < 3; ++c) a[c] += d[c] * s;
        }
        double vv[3], rr[3] = {p[i].x, p[i].y, p[i].z};
        for (int c = 0; c < 3; ++c) { vv[c] = v[3*i+c] + a[c] * dt; rr[c] += vv[c] * dt; }
        for (int c = 0; c < 3; ++c) {
            double e = std::fabs(vo[3*i+c] - vv[c]); maxRel = std::max(maxRel, e);
            CHECK(e <= 1e-4 * (1 + std::fabs(vv[c])), "nbody n=%d v[%d][%d]=%g ref %g", n, i, c, vo[3*i+c], vv[c]);
        }
        float got[3] = {po[i].x, po[i].y, po[i].z};
        for (int c = 0; c < 3; ++c) CHECK(std::fabs(got[c] - rr[c]) <= 1e-4 * (1 + std::fabs(rr[c])), "nbody n=%d r[%d][%d]", n, i, c);
        CHECK(po[i].w == p[i].w, "nbody mass changed");
    }
    printf("nbody n=%d maxAbsErr(v)=%.3g\n", n, maxRel);
}

int main() {
    // Sizes below, at and above each kernel's tiles; grids kept small (every CUDA thread is a thread here).
    int sizes[][3] = {{1,1,1},{17,17,17},{1,255,3},{129,130,17},{255,257,9},{128,128,128},{3,1000,5},{130,4,8},{64,260,33},{257,129,1},{40,36,250}};
    for (auto& s : sizes) { test_sgemm(s[0], s[1], s[2], 1.0f, 0.0f, false); test_sgemm(s[0], s[1], s[2], 0.5f, -1.5f, false); }
    test_sgemm(130, 132, 20, 2.0f, 0.25f, true);
    test_sgemm(130, 132, 20, 2.0f, 0.0f, true);
    for (int n : {1, 255, 256, 257, 1000}) test_saxpy(n, std::min(cdiv(n, 256), 4096u));
    test_saxpy(100003, 3);   // a grid-stride loop over a grid far smaller than n
    for (int n : {1, 7, 256, 257, 1000}) for (int m = 0; m < 4; ++m) test_reduce(n, m);
    test_reduce(20001, 0);
    int js[][2] = {{1,1},{1,5},{5,1},{2,2},{3,3},{17,33},{100,257},{9,40}};
    for (auto& j : js) test_jacobi(j[0], j[1]);
    for (int n : {1, 2, 255, 256, 257, 600}) test_nbody(n);
    printf("%d failures\n", failures);
    return failures != 0;
}
