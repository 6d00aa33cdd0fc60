/* The uint8 x 8-bit GEMM shared (hidden) by qu8s8_gemm_4x8c2__wasmsimd (float32
 * output, the dequantization and bias in the epilogue) and
 * qu8s8_gemm_4x8c2_i32__wasmsimd (int32 output, MatMulInteger): see the
 * first for the scheme and the packed layout.
 *
 * The centred rows of A are interleaved in scratch by groups of up to 4 rows
 * (the rows of one tile): group g holds rows 4g .. 4g + r - 1 (r = 4 but in
 * the last group of a chunk) as kk8 / 2 pairs of k, each pair as r int32
 * (row 0's two int16, row 1's, ...). A tile then reads one pointer with
 * constant offsets (one add per pair of k instead of one per row and pair), and a
 * group of 1-3 rows runs a tile of its own height instead of repeating rows. */
#ifndef WASM_INFER_QU8_GEMM_H
#define WASM_INFER_QU8_GEMM_H

#include "i16_dot_tile.h"

#define WI_QU8_MR 4

/* Rows src[t * a_stride + 0..k) - zero (t < r) as int16 into the group at dst
 * (layout above), pairs past k zero. Reads exactly r rows of k bytes. */
WI_INLINE void wi_qu8_centre(int16_t* dst, const uint8_t* src, size_t a_stride, size_t r,
                             size_t k, size_t kk8, int32_t zero) {
  const v128_t vz = wasm_i16x8_splat((int16_t)zero);
  for (size_t t = 0; t < r; t++) {
    const uint8_t* s = src + t * a_stride;
    int16_t* d = dst + 2 * t;              /* pair p of row t at d + 2 * r * p */
    size_t q = 0;
    for (; q + 8 <= k; q += 8) {
      const v128_t v = wasm_i16x8_sub(wasm_u16x8_load8x8(s + q), vz);
      int16_t* o = d + r * q;              /* pair q / 2 */
      wasm_v128_store32_lane(o, v, 0);
      wasm_v128_store32_lane(o + 2 * r, v, 1);
      wasm_v128_store32_lane(o + 4 * r, v, 2);
      wasm_v128_store32_lane(o + 6 * r, v, 3);
    }
    for (; q < kk8; q++) d[r * (q & ~(size_t)1) + (q & 1)] = q < k ? (int16_t)((int32_t)s[q] - zero) : 0;
  }
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

/* One r x 8 tile: the group at pa times the panel at pw (i16_dot_tile.h),
 * into c (row t at c + t * c_stride elements). */
WI_INLINE void wi_qu8_tile(
    const size_t r, const int16_t* pa, const int16_t* pw, size_t kk8,
    void* c, size_t c_stride, v128_t vsa, size_t nc, int to_float) {
  v128_t acc0[WI_QU8_MR], acc1[WI_QU8_MR];
  for (size_t t = 0; t < r; t++) {
    acc0[t] = wasm_i32x4_const_splat(0);
    acc1[t] = wasm_i32x4_const_splat(0);
  }
  wi_i16_dot_tile(r, pa, pw + 32, kk8, acc0, acc1);
  for (size_t t = 0; t < r; t++) {
    if (to_float) {
      wi_qu8_store((float*)c + t * c_stride, acc0[t], acc1[t], (const float*)pw, vsa, nc);
    } else {
      wi_qu8_store_i32((int32_t*)c + t * c_stride, acc0[t], acc1[t], nc);
    }
  }
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
  const size_t esize = to_float ? sizeof(float) : sizeof(int32_t);
  if (mb == 0) return;
  for (size_t i0 = 0; i0 < m; i0 += mb) {
    const size_t rows = wi_min_size(m - i0, mb);
    for (size_t i = 0; i < rows; i += WI_QU8_MR) {
      wi_qu8_centre(scratch + i * kk8, a + (i0 + i) * a_stride, a_stride, wi_min_size(rows - i, WI_QU8_MR),
                    k, kk8, za);
    }
    /* Panel by panel: one panel of weights stays in L1 while the centred rows stream past it. */
    for (size_t j = 0; j < n; j += 8) {
      const size_t nc = wi_min_size(n - j, 8);
      const int16_t* pw = packed_w + (j / 8) * panel;
      char* cj = (char*)c + (i0 * c_stride + j) * esize;
      size_t i = 0;
      for (; i + WI_QU8_MR <= rows; i += WI_QU8_MR) {
        wi_qu8_tile(WI_QU8_MR, scratch + i * kk8, pw, kk8, cj + i * c_stride * esize, c_stride, vsa, nc, to_float);
      }
      switch (rows - i) {
        case 3: wi_qu8_tile(3, scratch + i * kk8, pw, kk8, cj + i * c_stride * esize, c_stride, vsa, nc, to_float); break;
        case 2: wi_qu8_tile(2, scratch + i * kk8, pw, kk8, cj + i * c_stride * esize, c_stride, vsa, nc, to_float); break;
        case 1: wi_qu8_tile(1, scratch + i * kk8, pw, kk8, cj + i * c_stride * esize, c_stride, vsa, nc, to_float); break;
        default: break;
      }
    }
  }
}

#endif
