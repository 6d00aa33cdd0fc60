/* The uint8 x 8-bit GEMM shared (hidden) by qu8s8_gemm_4x8c2__wasmsimd (float32
 * output, the dequantization and bias in the epilogue) and
 * qu8s8_gemm_4x8c2_i32__wasmsimd (int32 output, MatMulInteger): see the
 * first for the scheme and the packed layout. */
#ifndef WASM_INFER_QU8_GEMM_H
#define WASM_INFER_QU8_GEMM_H

#include "kernels.h"

#define WI_QU8_MR 4

/* dst[0..kk8) = src[0..k) - zero as int16, then zeros. Reads exactly k bytes. */
WI_INLINE void wi_qu8_centre(int16_t* dst, const uint8_t* src, size_t k, size_t kk8, int32_t zero) {
  const v128_t vz = wasm_i16x8_splat((int16_t)zero);
  size_t q = 0;
  for (; q + 8 <= k; q += 8) wasm_v128_store(dst + q, wasm_i16x8_sub(wasm_u16x8_load8x8(src + q), vz));
  for (; q < k; q++) dst[q] = (int16_t)((int32_t)src[q] - zero);
  for (; q < kk8; q++) dst[q] = 0;
}

WI_INLINE void wi_qu8_store_i32(int32_t* c, v128_t acc0, v128_t acc1, size_t nc) {
  if (nc == 8) {
    wasm_v128_store(c, acc0);
    wasm_v128_store(c + 4, acc1);
    return;
  }
  int32_t t[8];
  wasm_v128_store(t, acc0);
  wasm_v128_store(t + 4, acc1);
  for (size_t q = 0; q < nc; q++) c[q] = t[q];
}

WI_INLINE void wi_qu8_store(float* c, v128_t acc0, v128_t acc1, const float* hdr, v128_t vsa, size_t nc) {
  v128_t f0 = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(acc0), wasm_f32x4_mul(vsa, wasm_v128_load(hdr)));
  v128_t f1 = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(acc1), wasm_f32x4_mul(vsa, wasm_v128_load(hdr + 4)));
  f0 = wasm_f32x4_add(f0, wasm_v128_load(hdr + 8));
  f1 = wasm_f32x4_add(f1, wasm_v128_load(hdr + 12));
  if (nc == 8) {
    wasm_v128_store(c, f0);
    wasm_v128_store(c + 4, f1);
    return;
  }
  float t[8];
  wasm_v128_store(t, f0);
  wasm_v128_store(t + 4, f1);
  for (size_t q = 0; q < nc; q++) c[q] = t[q];
}

/* The GEMM of qu8s8_gemm_4x8c2__wasmsimd (to_float: c is float32, scaled and
 * biased) and of qu8s8_gemm_4x8c2_i32__wasmsimd (c is int32: the accumulators,
 * a_scale unread); the flag is a constant in each, so each gets its own loop. */
WI_INLINE void wi_qu8_gemm(
    size_t m, size_t n, size_t k,
    const uint8_t* a, size_t a_stride,
    const float* a_scale, const uint8_t* a_zero,
    const int16_t* packed_w,
    void* c, size_t c_stride,
    int16_t* scratch, size_t mb, int to_float) {
  const size_t kk8 = (k + 7) & ~(size_t)7, panel = 32 + 8 * kk8;   /* in int16 */
  const int32_t za = *a_zero;
  const v128_t vsa = to_float ? wasm_f32x4_splat(*a_scale) : wasm_i32x4_const_splat(0);
  if (mb == 0) return;
  for (size_t i0 = 0; i0 < m; i0 += mb) {
    const size_t rows = wi_min_size(m - i0, mb);
    for (size_t r = 0; r < rows; r++) wi_qu8_centre(scratch + r * kk8, a + (i0 + r) * a_stride, k, kk8, za);
    for (size_t j = 0; j < n; j += 8) {
      const size_t nc = wi_min_size(n - j, 8);
      const int16_t* pw = packed_w + (j / 8) * panel;
      for (size_t i = 0; i < rows; i += WI_QU8_MR) {
        const size_t mr = wi_min_size(rows - i, WI_QU8_MR);
        const int16_t* ap[WI_QU8_MR];
        size_t cp[WI_QU8_MR];     /* element offsets into c */
        v128_t acc[WI_QU8_MR][2];
        for (size_t t = 0; t < WI_QU8_MR; t++) {
          const size_t rr = t < mr ? t : mr - 1;    /* rows past m alias the last real one */
          ap[t] = scratch + (i + rr) * kk8;
          cp[t] = (i0 + i + rr) * c_stride + j;
          acc[t][0] = wasm_i32x4_const_splat(0);
          acc[t][1] = wasm_i32x4_const_splat(0);
        }
        const int16_t* w = pw + 32;
        for (size_t p = 0; p < kk8; p += 8, w += 64) {     /* kk8 is a multiple of 8: 4 pairs a step */
          for (size_t q = 0; q < 4; q++) {
            const v128_t vb0 = wasm_v128_load(w + 16 * q), vb1 = wasm_v128_load(w + 16 * q + 8);
            for (size_t t = 0; t < WI_QU8_MR; t++) {
              const v128_t va = wasm_v128_load32_splat(ap[t] + p + 2 * q);
              acc[t][0] = wasm_i32x4_add(acc[t][0], wasm_i32x4_dot_i16x8(va, vb0));
              acc[t][1] = wasm_i32x4_add(acc[t][1], wasm_i32x4_dot_i16x8(va, vb1));
            }
          }
        }
        for (size_t t = 0; t < WI_QU8_MR; t++) {
          if (to_float) {
            wi_qu8_store((float*)c + cp[t], acc[t][0], acc[t][1], (const float*)pw, vsa, nc);
          } else {
            wi_qu8_store_i32((int32_t*)c + cp[t], acc[t][0], acc[t][1], nc);
          }
        }
      }
    }
  }
}

#endif
