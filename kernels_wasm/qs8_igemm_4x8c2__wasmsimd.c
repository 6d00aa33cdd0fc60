/* qs8_igemm_4x8c2__wasmsimd: int8 indirect GEMM for NHWC convolutions
 * (1x1 and K x K; the int8 twin of f32_igemm_4x8_minmax__wasmsimd).
 *
 * C[i][0:n] = requantize(bias + sum_{s < ks} (A_is[0:kc] - x_zero) @ W_s), A_is
 * the kc bytes (uint8 or int8) that indirection[i * ks + s] points to, plus
 * a_offset bytes, or x_zero everywhere where the entry is 0 (padding).
 *
 * How: output pixels in chunks of mb rows; each chunk's taps are gathered
 * into `scratch` as centred int16 (qs8_requant.h), kk2 = round_up(ks * kc, 2)
 * values per row (a zero at the end when ks * kc is odd; consecutive taps
 * whose bytes are adjacent in x centred as one run), then 4 x 8 tiles
 * run over it: per pair of k, one 32-bit splat of the row's two int16 values
 * and i32x4.dot_i16x8_s against a packed vector of 4 columns x 2 k, the
 * splat scheme of the float GEMM with two multiply-adds per lane per
 * instruction and no horizontal sums.
 *
 * The gathered rows are interleaved in scratch by groups of up to 4 rows (the
 * rows of one tile), as in qu8_gemm.h: group g holds rows 4g .. 4g + r - 1 (r
 * = 4 but in the last group of a chunk) at scratch + 4g * kk2, as kk2 / 2
 * pairs of k, each pair as r int32 (row 0's two int16, row 1's, ...). A tile
 * reads one pointer with constant offsets, one pair of k an iteration in a
 * loop that clang neither unrolls nor strength-reduces (V8 unrolls it), and
 * a group of 1-3 rows runs a tile of its own height instead of repeating rows
 * (2026-12-03, docs/PERFORMANCE.md). The gather writes whole groups where it
 * can: a 1x1 conv's 4 rows 8 values at a time transposed in registers (up to
 * a group with a padded pixel), other full groups of kk2 <= 256 gathered
 * contiguous on the stack (2 KiB), then transposed; the rest (a chunk's last
 * 1-3 rows, full groups of longer rows) row by row with 32-bit lane stores.
 *
 * Packed weights (wasm_infer.kernels.pack_qs8_conv2d_nhwc), per panel of 8
 * columns: 8 int32 bias, 8 float32 scales, then kk2 / 2 rows of 16 int16
 * (columns 0-3 then 4-7, each column's two k adjacent); columns past n are
 * zero. A panel is 64 + 16 * kk2 bytes.
 *
 * Reads exactly the kc bytes at each nonzero (pointer + a_offset), the m * ks
 * indirection entries, the packed weights and the 8 int32 params; writes
 * exactly C[i][j] (i < m, j < n; c_stride bytes per row) and scratch[0 ..
 * min(m, mb) * kk2). mb == 0 does nothing.
 */
#include "i16_dot_tile.h"
#include "qs8_requant.h"

#define MR 4
#define WI_QS8_TMP 256    /* int16 per row of the stack buffer of wi_qs8_interleave4 */

/* src[0..n) - zero (uint8 or int8) as int16 into one row of a group of r rows
 * (layout above): value q of the row (q counted from the row's start, q0 the
 * first) at d + r * (q & ~1) + (q & 1), d the row's first pair. An odd q0
 * (an earlier run of odd length) takes one scalar step, then 8 values (4
 * pairs, one 32-bit lane each) a step. Reads exactly n bytes. */
WI_INLINE void wi_qs8_centre_il(int16_t* d, size_t r, size_t q0, const uint8_t* src, size_t n,
                                int32_t zero, int32_t is_signed) {
  const v128_t vz = wasm_i16x8_splat((int16_t)zero);
  size_t i = 0, q = q0;
#define WI_QS8_AT(q) (d + r * ((q) & ~(size_t)1) + ((q) & 1))
#define WI_QS8_ONE(v) ((int16_t)((is_signed ? (int32_t)(int8_t)(v) : (int32_t)(v)) - zero))
  if ((q & 1) && i < n) *WI_QS8_AT(q) = WI_QS8_ONE(src[i]), i++, q++;
  for (; i + 8 <= n; i += 8, q += 8) {
    const v128_t b = wasm_v128_load64_zero(src + i);
    const v128_t v = wasm_i16x8_sub(is_signed ? wasm_i16x8_extend_low_i8x16(b) : wasm_u16x8_extend_low_u8x16(b), vz);
    int16_t* o = d + r * q;                 /* q even: pair q / 2 */
    wasm_v128_store32_lane(o, v, 0);
    wasm_v128_store32_lane(o + 2 * r, v, 1);
    wasm_v128_store32_lane(o + 4 * r, v, 2);
    wasm_v128_store32_lane(o + 6 * r, v, 3);
  }
  for (; i < n; i++, q++) *WI_QS8_AT(q) = WI_QS8_ONE(src[i]);
#undef WI_QS8_AT
#undef WI_QS8_ONE
}

/* Values q..q+8 (q even) of 4 rows (a, b, c, e) -> their 4 pairs of k in a
 * group of 4 at o: a 4 x 4 transpose of 32-bit lanes, 4 full stores. */
WI_INLINE void wi_qs8_store4x4(int16_t* o, v128_t a, v128_t b, v128_t c, v128_t e) {
  const v128_t ab0 = wasm_i32x4_shuffle(a, b, 0, 4, 1, 5), ab1 = wasm_i32x4_shuffle(a, b, 2, 6, 3, 7);
  const v128_t ce0 = wasm_i32x4_shuffle(c, e, 0, 4, 1, 5), ce1 = wasm_i32x4_shuffle(c, e, 2, 6, 3, 7);
  wasm_v128_store(o, wasm_i64x2_shuffle(ab0, ce0, 0, 2));
  wasm_v128_store(o + 8, wasm_i64x2_shuffle(ab0, ce0, 1, 3));
  wasm_v128_store(o + 16, wasm_i64x2_shuffle(ab1, ce1, 0, 2));
  wasm_v128_store(o + 24, wasm_i64x2_shuffle(ab1, ce1, 1, 3));
}

/* Row t's kk2 values at tmp + t * kk2 (t < 4) -> the group of 4 at d. */
WI_INLINE void wi_qs8_interleave4(int16_t* d, const int16_t* tmp, size_t kk2) {
  const int16_t *t0 = tmp, *t1 = tmp + kk2, *t2 = tmp + 2 * kk2, *t3 = tmp + 3 * kk2;
  size_t q = 0;
  for (; q + 8 <= kk2; q += 8) {
    wi_qs8_store4x4(d + 4 * q, wasm_v128_load(t0 + q), wasm_v128_load(t1 + q), wasm_v128_load(t2 + q),
                    wasm_v128_load(t3 + q));
  }
  for (; q < kk2; q += 2) {
    int16_t* o = d + 4 * q;
    o[0] = t0[q], o[1] = t0[q + 1], o[2] = t1[q], o[3] = t1[q + 1];
    o[4] = t2[q], o[5] = t2[q + 1], o[6] = t3[q], o[7] = t3[q + 1];
  }
}

/* One row's ks taps, centred, contiguous at d (kk2 values: a zero after an
 * odd kk). */
WI_INLINE void wi_qs8_gather_row(int16_t* d, const uint8_t* const* pr, size_t ks, size_t kc, size_t a_offset,
                                 int32_t zx, int32_t xs) {
  const int16_t* const start = d;
  for (size_t s = 0; s < ks;) {
    const uint8_t* p = pr[s];
    if (p == 0) {
      for (size_t q = 0; q < kc; q++) d[q] = 0;
      s++, d += kc;
      continue;
    }
    /* taps whose bytes follow each other (a kernel row at stride 1 in x's
     * pixels, e.g. the stem's 3 taps of kc = 3) are centred as one run:
     * vector steps of 8 instead of a scalar loop of kc per tap */
    size_t run = 1;
    while (s + run < ks && pr[s + run] == p + run * kc) run++;
    wi_qs8_centre(d, p + a_offset, run * kc, zx, xs);
    s += run, d += run * kc;
  }
  if ((size_t)(d - start) & 1) *d = 0;
}

/* A 1x1 conv's group of 4 rows (ks == 1, every pointer nonzero): the 4 rows'
 * kc bytes at src[t] - zero into the group at d (layout above), pairs past kc
 * zero. 8 values of each row a step, a 4 x 4 transpose of their pairs, 4
 * full stores: the lane stores of wi_qs8_centre_il cost the small-kc convs
 * (kc = 16, 32 with 12544 rows) more than their tiles gained. */
WI_INLINE void wi_qs8_centre4(int16_t* d, const uint8_t* const* src, size_t a_offset, size_t kc,
                              size_t kk2, int32_t zero, const int is_signed) {
  const v128_t vz = wasm_i16x8_splat((int16_t)zero);
  const uint8_t *s0 = src[0] + a_offset, *s1 = src[1] + a_offset, *s2 = src[2] + a_offset, *s3 = src[3] + a_offset;
#define WI_QS8_LD(s) (is_signed ? wasm_i16x8_extend_low_i8x16(wasm_v128_load64_zero(s + q)) \
                                : wasm_u16x8_extend_low_u8x16(wasm_v128_load64_zero(s + q)))
  size_t q = 0;
  for (; q + 8 <= kc; q += 8) {
    const v128_t a = wasm_i16x8_sub(WI_QS8_LD(s0), vz), b = wasm_i16x8_sub(WI_QS8_LD(s1), vz);
    const v128_t c = wasm_i16x8_sub(WI_QS8_LD(s2), vz), e = wasm_i16x8_sub(WI_QS8_LD(s3), vz);
    wi_qs8_store4x4(d + 4 * q, a, b, c, e);   /* q even: pair q / 2 */
  }
#undef WI_QS8_LD
  for (; q < kk2; q++) {
    int16_t* o = d + 4 * (q & ~(size_t)1) + (q & 1);
    if (q < kc) {
      o[0] = (int16_t)((is_signed ? (int32_t)(int8_t)s0[q] : (int32_t)s0[q]) - zero);
      o[2] = (int16_t)((is_signed ? (int32_t)(int8_t)s1[q] : (int32_t)s1[q]) - zero);
      o[4] = (int16_t)((is_signed ? (int32_t)(int8_t)s2[q] : (int32_t)s2[q]) - zero);
      o[6] = (int16_t)((is_signed ? (int32_t)(int8_t)s3[q] : (int32_t)s3[q]) - zero);
    } else {
      o[0] = o[2] = o[4] = o[6] = 0;
    }
  }
}

/* One r x 8 tile: the group at pa times the panel at pw (i16_dot_tile.h), the
 * bias as the accumulators' start, rows into cp[0..r). */
WI_INLINE void wi_qs8_igemm_tile(const size_t r, const int16_t* pa, const int16_t* pw, size_t kk2,
                                 uint8_t* const* cp, const float* scale, const wi_qs8_rq* rq, size_t nc) {
  v128_t acc0[MR], acc1[MR];
  for (size_t t = 0; t < r; t++) {
    acc0[t] = wasm_v128_load(pw);
    acc1[t] = wasm_v128_load(pw + 8);
  }
  wi_i16_dot_tile(r, pa, pw + 32, kk2, acc0, acc1);
  size_t t = 0;
  for (; t + 2 <= r; t += 2) {
    wi_qs8_store8x2(cp[t], cp[t + 1], acc0[t], acc1[t], acc0[t + 1], acc1[t + 1], scale, rq, nc);
  }
  if (t < r) wi_qs8_store8(cp[t], acc0[t], acc1[t], scale, rq, nc);
}

WI_EXPORT void qs8_igemm_4x8c2__wasmsimd(
    size_t m, size_t n, size_t kc, size_t ks,
    const uint8_t* const* indirection, size_t a_offset,
    const int16_t* packed_w,
    uint8_t* c, size_t c_stride,
    int16_t* scratch, size_t mb,
    const int32_t* params) {
  const int32_t zx = params[WI_QS8_X_ZERO], xs = params[WI_QS8_X_SIGNED];
  const wi_qs8_rq rq = wi_qs8_rq_make(params);
  const size_t kk = ks * kc, kk2 = (kk + 1) & ~(size_t)1, panel = 32 + 8 * kk2;   /* in int16 */
  if (mb == 0) return;
  for (size_t i0 = 0; i0 < m; i0 += mb) {
    const size_t rows = wi_min_size(m - i0, mb);
    const uint8_t* const* ind = indirection + i0 * ks;
    size_t r = 0;
    if (ks == 1) {
      for (; r + MR <= rows && ind[r] && ind[r + 1] && ind[r + 2] && ind[r + 3]; r += MR) {
        if (xs) {
          wi_qs8_centre4(scratch + r * kk2, ind + r, a_offset, kc, kk2, zx, 1);
        } else {
          wi_qs8_centre4(scratch + r * kk2, ind + r, a_offset, kc, kk2, zx, 0);
        }
      }
    }
    /* other full groups, while 4 rows fit the stack (the stem: kk2 = 28): each row
     * gathered contiguous, then the 4 transposed (lane stores cost the stem 15%) */
    if (kk2 <= WI_QS8_TMP) {
      int16_t tmp[MR * WI_QS8_TMP];
      for (; r + MR <= rows; r += MR) {
        for (size_t t = 0; t < MR; t++) wi_qs8_gather_row(tmp + t * kk2, ind + (r + t) * ks, ks, kc, a_offset, zx, xs);
        wi_qs8_interleave4(scratch + r * kk2, tmp, kk2);
      }
    }
    for (; r < rows; r++) {
      const size_t g = r & ~(size_t)(MR - 1), gr = wi_min_size(rows - g, MR);
      int16_t* d = scratch + g * kk2 + 2 * (r - g);    /* the row's first pair in its group */
      const uint8_t* const* pr = ind + r * ks;
      size_t q = 0;
      for (size_t s = 0; s < ks;) {
        const uint8_t* p = pr[s];
        if (p == 0) {
          for (size_t e = 0; e < kc; e++, q++) d[gr * (q & ~(size_t)1) + (q & 1)] = 0;
          s++;
          continue;
        }
        /* taps whose bytes follow each other (a kernel row at stride 1 in x's
         * pixels, e.g. the stem's 3 taps of kc = 3) are centred as one run:
         * vector steps of 8 instead of a scalar loop of kc per tap */
        size_t run = 1;
        while (s + run < ks && pr[s + run] == p + run * kc) run++;
        wi_qs8_centre_il(d, gr, q, p + a_offset, run * kc, zx, xs);
        s += run, q += run * kc;
      }
      if (kk2 != kk) d[gr * (kk & ~(size_t)1) + 1] = 0;
    }
    for (size_t j = 0; j < n; j += 8) {
      const size_t nc = wi_min_size(n - j, 8);
      const int16_t* pw = packed_w + (j / 8) * panel;
      const float* scale = (const float*)(pw + 16);
      uint8_t* cp[MR];
      size_t i = 0;
      for (; i + MR <= rows; i += MR) {
        for (size_t t = 0; t < MR; t++) cp[t] = c + (i0 + i + t) * c_stride + j;
        wi_qs8_igemm_tile(MR, scratch + i * kk2, pw, kk2, cp, scale, &rq, nc);
      }
      /* a group of 1-3 rows (the chunk's last) runs a tile of its own height */
      for (size_t t = 0; t < rows - i; t++) cp[t] = c + (i0 + i + t) * c_stride + j;
      switch (rows - i) {
        case 3: wi_qs8_igemm_tile(3, scratch + i * kk2, pw, kk2, cp, scale, &rq, nc); break;
        case 2: wi_qs8_igemm_tile(2, scratch + i * kk2, pw, kk2, cp, scale, &rq, nc); break;
        case 1: wi_qs8_igemm_tile(1, scratch + i * kk2, pw, kk2, cp, scale, &rq, nc); break;
        default: break;
      }
    }
  }
}
