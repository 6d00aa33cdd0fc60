/* f32_gemm_minmax__wasmsimd: C[m x n] = clamp(A[m x k] @ B[k x n] + bias).
 *
 * Register-blocked, B unpacked (row-major with a row stride): for each k step
 * one A element per row is broadcast with load32_splat and multiplied into
 * NV vectors of 4 consecutive B columns (the "splat" scheme, which measured
 * best under V8). Tiles: 4x8 for the bulk (columns outer so a k x 8 panel of B
 * stays in cache across row blocks), 1x16 / 2x16 / 3x8 for the last m % 4
 * rows, 4-column and 1..3-column (partial-lane loads and stores) edges.
 * Reads exactly A[i][p] (i<m, p<k), B[p][j] (p<k, j<n), bias; writes exactly
 * C[i][j] (i<m, j<n). m, n or k may be 0 (k == 0 gives clamp(bias)).
 */
#include "kernels.h"

/* One MR x (4*NV) tile over all of k; with TAIL in 1..3, NV is 1 and the tile
 * has TAIL columns. MR, NV and TAIL are compile-time constants at every call. */
WI_INLINE void gemm_tile(
    const size_t MR, const size_t NV, const size_t TAIL, size_t k,
    const float* a, size_t a_stride, const float* b, size_t b_stride,
    const float* bias_n, const float* bias_m, float* c, size_t c_stride,
    v128_t vmin, v128_t vmax) {
  const float* ap[4];
  v128_t acc[4][4];
  for (size_t i = 0; i < MR; i++) ap[i] = a + i * a_stride;

  for (size_t j = 0; j < NV; j++) {
    v128_t v = wasm_f32x4_const_splat(0.0f);
    if (bias_n) v = TAIL ? wi_load_partial(bias_n, TAIL) : wasm_v128_load(bias_n + 4 * j);
    for (size_t i = 0; i < MR; i++) acc[i][j] = v;
  }
  if (bias_m) {
    for (size_t i = 0; i < MR; i++) {
      const v128_t v = wasm_v128_load32_splat(bias_m + i);
      for (size_t j = 0; j < NV; j++) acc[i][j] = wasm_f32x4_add(acc[i][j], v);
    }
  }

  for (size_t p = 0; p < k; p++) {
    v128_t vb[4];
    for (size_t j = 0; j < NV; j++)
      vb[j] = TAIL ? wi_load_partial(b, TAIL) : wasm_v128_load(b + 4 * j);
    b += b_stride;
    for (size_t i = 0; i < MR; i++) {
      const v128_t va = wasm_v128_load32_splat(ap[i]);
      ap[i] += 1;
      for (size_t j = 0; j < NV; j++)
        acc[i][j] = wi_madd(acc[i][j], va, vb[j]);
    }
  }

  for (size_t i = 0; i < MR; i++) {
    float* ci = c + i * c_stride;
    for (size_t j = 0; j < NV; j++) {
      const v128_t v = wi_clamp(acc[i][j], vmin, vmax);
      if (TAIL) wi_store_partial(ci, v, TAIL);
      else wasm_v128_store(ci + 4 * j, v);
    }
  }
}

/* All row blocks of 4 (rows [0, m4)) for one column block of width 4*NV or TAIL. */
WI_INLINE void gemm_m4_column(
    const size_t NV, const size_t TAIL, size_t m4, size_t k,
    const float* a, size_t a_stride, const float* b, size_t b_stride,
    const float* bias_n, const float* bias_m, float* c, size_t c_stride,
    v128_t vmin, v128_t vmax) {
  for (size_t i = 0; i < m4; i += 4) {
    gemm_tile(4, NV, TAIL, k, a + i * a_stride, a_stride, b, b_stride, bias_n,
              bias_m ? bias_m + i : 0, c + i * c_stride, c_stride, vmin, vmax);
  }
}

/* All columns of a block of MR rows, NVMAX vectors wide, then 8/4/1..3 edges. */
WI_INLINE void gemm_rows(
    const size_t MR, const size_t NVMAX, size_t n, size_t k,
    const float* a, size_t a_stride, const float* b, size_t b_stride,
    const float* bias_n, const float* bias_m, float* c, size_t c_stride,
    v128_t vmin, v128_t vmax) {
  size_t j = 0;
  for (; j + 4 * NVMAX <= n; j += 4 * NVMAX)
    gemm_tile(MR, NVMAX, 0, k, a, a_stride, b + j, b_stride, bias_n ? bias_n + j : 0,
              bias_m, c + j, c_stride, vmin, vmax);
  if (NVMAX > 2 && j + 8 <= n) {
    gemm_tile(MR, 2, 0, k, a, a_stride, b + j, b_stride, bias_n ? bias_n + j : 0,
              bias_m, c + j, c_stride, vmin, vmax);
    j += 8;
  }
  if (NVMAX > 1 && j + 4 <= n) {
    gemm_tile(MR, 1, 0, k, a, a_stride, b + j, b_stride, bias_n ? bias_n + j : 0,
              bias_m, c + j, c_stride, vmin, vmax);
    j += 4;
  }
  const float* bn = bias_n ? bias_n + j : 0;
  switch (n - j) {
    case 1: gemm_tile(MR, 1, 1, k, a, a_stride, b + j, b_stride, bn, bias_m, c + j, c_stride, vmin, vmax); break;
    case 2: gemm_tile(MR, 1, 2, k, a, a_stride, b + j, b_stride, bn, bias_m, c + j, c_stride, vmin, vmax); break;
    case 3: gemm_tile(MR, 1, 3, k, a, a_stride, b + j, b_stride, bn, bias_m, c + j, c_stride, vmin, vmax); break;
    default: break;
  }
}

void wi_f32_gemm_minmax(
    size_t m, size_t n, size_t k,
    const float* a, size_t a_stride,
    const float* b, size_t b_stride,
    const float* bias_n, const float* bias_m,
    float* c, size_t c_stride,
    const wi_minmax_params* params) {
  const v128_t vmin = wasm_v128_load32_splat(&params->min);
  const v128_t vmax = wasm_v128_load32_splat(&params->max);
  const size_t m4 = m & ~(size_t)3;

  if (m4 != 0) {
    size_t j = 0;
    for (; j + 8 <= n; j += 8)
      gemm_m4_column(2, 0, m4, k, a, a_stride, b + j, b_stride, bias_n ? bias_n + j : 0,
                     bias_m, c + j, c_stride, vmin, vmax);
    if (j + 4 <= n) {
      gemm_m4_column(1, 0, m4, k, a, a_stride, b + j, b_stride, bias_n ? bias_n + j : 0,
                     bias_m, c + j, c_stride, vmin, vmax);
      j += 4;
    }
    const float* bn = bias_n ? bias_n + j : 0;
    switch (n - j) {
      case 1: gemm_m4_column(1, 1, m4, k, a, a_stride, b + j, b_stride, bn, bias_m, c + j, c_stride, vmin, vmax); break;
      case 2: gemm_m4_column(1, 2, m4, k, a, a_stride, b + j, b_stride, bn, bias_m, c + j, c_stride, vmin, vmax); break;
      case 3: gemm_m4_column(1, 3, m4, k, a, a_stride, b + j, b_stride, bn, bias_m, c + j, c_stride, vmin, vmax); break;
      default: break;
    }
  }

  a += m4 * a_stride;
  c += m4 * c_stride;
  if (bias_m) bias_m += m4;
  switch (m - m4) {
    case 1: gemm_rows(1, 4, n, k, a, a_stride, b, b_stride, bias_n, bias_m, c, c_stride, vmin, vmax); break;
    case 2: gemm_rows(2, 4, n, k, a, a_stride, b, b_stride, bias_n, bias_m, c, c_stride, vmin, vmax); break;
    case 3: gemm_rows(3, 2, n, k, a, a_stride, b, b_stride, bias_n, bias_m, c, c_stride, vmin, vmax); break;
    default: break;
  }
}

WI_EXPORT void f32_gemm_minmax__wasmsimd(
    size_t m, size_t n, size_t k,
    const float* a, size_t a_stride,
    const float* b, size_t b_stride,
    const float* bias_n,
    float* c, size_t c_stride,
    const float* params) {
  wi_f32_gemm_minmax(m, n, k, a, a_stride, b, b_stride, bias_n, 0, c, c_stride,
                     (const wi_minmax_params*)params);
}
