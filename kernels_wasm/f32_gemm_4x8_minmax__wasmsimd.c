/* f32_gemm_4x8_minmax__wasmsimd: C[m x n] = clamp(A[m x k] @ W + bias), W and
 * bias packed once into NR = 8 column panels (kernels_gemm.h,
 * wasm_infer.kernels.pack_gemm).
 *
 * 4 x 8 register tile (8 accumulators + 2 B vectors + 1 broadcast A, well
 * inside the 15 XMM registers V8 allocates); rows past m alias the last row,
 * columns past n run on the panel's zero padding and are not stored. Loop
 * order: panels outer (a (k + 1) x 8 panel stays in L1 across the row tiles).
 * Measured in Node 20 (bare module, best of ~0.6 s; GFLOPS at 512^3 /
 * 3136x24x144 / 196x672x112): 4x8 36.8-39.2 / 37.5 / 39.4, 5x8 31.6 / 34.2 /
 * 33.7, 6x8 30.8 / 32.4 / 33.4, 2x16 35.0-38.7 / 29.5 / 39.4, 3x16 35.0 /
 * 26.0 / 35.4; relaxed FMA: 4x8 50.4 / 48.4 / 49.6, 5x8 31.7 / 34.0 / 32.2,
 * 2x16 50.8 / 38.8 / 50.4. Panels outer vs row tiles outer: within noise
 * (+6% at 512^3).
 * Reads exactly A[i][p] (i < m, p < k), the ceil(n / 8) * (k + 1) * 8 packed
 * floats and params; writes exactly C[i][j] (i < m, j < n). m, n or k may be
 * 0 (k == 0 gives clamp(bias)).
 */
#include "kernels_gemm.h"

WI_EXPORT void f32_gemm_4x8_minmax__wasmsimd(
    size_t m, size_t n, size_t k,
    const float* a, size_t a_stride,
    const float* packed_w,
    float* c, size_t c_stride,
    const float* params) {
  const v128_t vmin = wasm_v128_load32_splat(params);
  const v128_t vmax = wasm_v128_load32_splat(params + 1);
  const size_t panel = (k + 1) * WI_GEMM_NR;
#ifndef WI_GEMM_M_OUTER
  for (size_t j = 0; j < n; j += WI_GEMM_NR) {
    const size_t nc = wi_min_size(n - j, WI_GEMM_NR);
    const float* w = packed_w + (j / WI_GEMM_NR) * panel;
    for (size_t i = 0; i < m; i += WI_GEMM_MR)
      wi_gemm_tile(WI_GEMM_MR, WI_GEMM_NV, wi_min_size(m - i, WI_GEMM_MR), nc, k,
                   a + i * a_stride, a_stride, w, c + i * c_stride + j, c_stride, vmin, vmax);
  }
#else
  for (size_t i = 0; i < m; i += WI_GEMM_MR) {
    const size_t mr = wi_min_size(m - i, WI_GEMM_MR);
    const float* w = packed_w;
    for (size_t j = 0; j < n; j += WI_GEMM_NR, w += panel)
      wi_gemm_tile(WI_GEMM_MR, WI_GEMM_NV, mr, wi_min_size(n - j, WI_GEMM_NR), k,
                   a + i * a_stride, a_stride, w, c + i * c_stride + j, c_stride, vmin, vmax);
  }
#endif
}
