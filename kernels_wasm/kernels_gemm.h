/* Packed-weight GEMM microkernels shared by f32_gemm_*  and f32_igemm_* (hidden).
 *
 * Packed weights (wasm_infer.kernels.pack_gemm / pack_conv2d_nhwc build them
 * once, at session creation): the N output columns are cut into panels of
 * NR = 4 * WI_GEMM_NV columns; panel j is NR bias values followed by KK rows of
 * NR weights (KK = k for the GEMM, taps * kc for the indirect GEMM, tap-major),
 * zero-padded to NR columns in the last panel. So a panel is read front to
 * back, exactly once per MR-row tile, with full vector loads and no over-read.
 *
 * Tiles: MR rows x NR columns of accumulators held in registers; per k step,
 * NV vectors of the panel are loaded and each row's A element is broadcast
 * with load32_splat (the "splat" scheme, which measured best under V8; no
 * K unrolling). Rows past m alias the last real row (same reads, same value
 * written twice), so one MR handles every m; columns past n are computed on
 * the zero padding and not stored.
 */
#ifndef WASM_INFER_KERNELS_GEMM_H
#define WASM_INFER_KERNELS_GEMM_H

#include "kernels.h"

#ifndef WI_GEMM_MR
#define WI_GEMM_MR 4
#endif
#ifndef WI_GEMM_NV
#define WI_GEMM_NV 2
#endif
#define WI_GEMM_NR (4 * WI_GEMM_NV)

/* Store the first nc (< 4 * NV) columns of one accumulator row. */
WI_INLINE void wi_gemm_store_tail(const size_t NV, float* c, const v128_t* acc, size_t nc) {
  size_t j = 0;
  for (; j < NV && nc >= 4; j++, nc -= 4) wasm_v128_store(c + 4 * j, acc[j]);
  if (j < NV && nc) wi_store_partial(c + 4 * j, acc[j], nc);
}

/* Clamp and store an MR x NR accumulator tile; nc = columns to store (<= NR). */
WI_INLINE void wi_gemm_store(const size_t MR, const size_t NV, v128_t acc[][4], float* const* cp,
                             size_t nc, v128_t vmin, v128_t vmax) {
  for (size_t i = 0; i < MR; i++)
    for (size_t j = 0; j < NV; j++) acc[i][j] = wi_clamp(acc[i][j], vmin, vmax);
  if (nc == 4 * NV) {
    for (size_t i = 0; i < MR; i++)
      for (size_t j = 0; j < NV; j++) wasm_v128_store(cp[i] + 4 * j, acc[i][j]);
  } else {
    for (size_t i = 0; i < MR; i++) wi_gemm_store_tail(NV, cp[i], acc[i], nc);
  }
}

/* acc[i][*] += sum_p a_i[p] * w[p][*] for p < kc; returns w advanced by kc rows. */
WI_INLINE const float* wi_gemm_kloop(const size_t MR, const size_t NV, v128_t acc[][4],
                                     const float* const* a, size_t kc, const float* w) {
  const float* ap[8];
  for (size_t i = 0; i < MR; i++) ap[i] = a[i];
  for (size_t p = 0; p < kc; p++) {
    v128_t vb[4];
    for (size_t j = 0; j < NV; j++) vb[j] = wasm_v128_load(w + 4 * j);
    w += 4 * NV;
    for (size_t i = 0; i < MR; i++) {
      const v128_t va = wasm_v128_load32_splat(ap[i]);
      ap[i] += 1;
      for (size_t j = 0; j < NV; j++) acc[i][j] = wi_madd(acc[i][j], va, vb[j]);
    }
  }
  return w;
}

/* One MR x NR tile of C = clamp(A @ W + bias), W one packed panel. */
WI_INLINE void wi_gemm_tile(const size_t MR, const size_t NV, size_t mr, size_t nc, size_t k,
                            const float* a, size_t a_stride, const float* panel,
                            float* c, size_t c_stride, v128_t vmin, v128_t vmax) {
  const float* ap[8];
  float* cp[8];
  for (size_t i = 0; i < MR; i++) {
    const size_t r = i < mr ? i : mr - 1;
    ap[i] = a + r * a_stride;
    cp[i] = c + r * c_stride;
  }
  v128_t acc[8][4];
  for (size_t j = 0; j < NV; j++) {
    const v128_t b = wasm_v128_load(panel + 4 * j);
    for (size_t i = 0; i < MR; i++) acc[i][j] = b;
  }
  wi_gemm_kloop(MR, NV, acc, ap, k, panel + 4 * NV);
  wi_gemm_store(MR, NV, acc, cp, nc, vmin, vmax);
}

#endif /* WASM_INFER_KERNELS_GEMM_H */
