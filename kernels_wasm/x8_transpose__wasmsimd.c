/* x8_transpose__wasmsimd: y = x with its axes permuted, 8-bit elements
 * (uint8, int8, bool: the bytes are copied), on the same folded geometry as
 * x32_transpose__wasmsimd: geom = {d0, d1, d2, d3, xs0, xs1, xs2, xs3, ys0,
 * ys1, ys2, ys3} (int32; strides in elements = bytes), and
 *   y[i0 ys0 + i1 ys1 + i2 ys2 + i3 ys3] = x[i0 xs0 + i1 xs1 + i2 xs2 + i3 xs3]
 * for every index; the binder (wasm_infer/kernels/transpose.py) puts y's
 * innermost axis last (ys3 = 1) and, when x's innermost axis is another one,
 * that axis third (xs2 = 1). Loops by the strides:
 *   xs3 == 1: rows of d3 contiguous bytes on both sides, 64 then 16 at a time;
 *   xs2 == 1: a 2-D transpose. 3 or 4 channels interleaved into pixels
 *             (a quantized image's NCHW -> NHWC: d3 = C, ys2 = C) 16 pixels a
 *             step with i8x16 shuffles; 3 pixels' channels split back
 *             (NHWC -> NCHW, d2 = 3, xs3 = 3) the same way; otherwise 16x16
 *             byte blocks, 16 rows of x loaded and transposed in registers by
 *             four rounds of byte interleaves;
 *   else:     one byte at a time.
 * Reads exactly the bytes of x the geometry names, writes exactly y's; x and
 * y must not overlap. */
#include "kernels.h"

WI_INLINE void wi_copy_row8(const uint8_t* x, uint8_t* y, int32_t n) {
  int32_t i = 0;
  for (; i + 64 <= n; i += 64) {
    const v128_t a = wasm_v128_load(x + i), b = wasm_v128_load(x + i + 16);
    const v128_t c = wasm_v128_load(x + i + 32), d = wasm_v128_load(x + i + 48);
    wasm_v128_store(y + i, a);
    wasm_v128_store(y + i + 16, b);
    wasm_v128_store(y + i + 32, c);
    wasm_v128_store(y + i + 48, d);
  }
  for (; i + 16 <= n; i += 16) wasm_v128_store(y + i, wasm_v128_load(x + i));
  for (; i < n; i++) y[i] = x[i];
}

/* Bytes 0-7 (lo) or 8-15 (hi) of a and b, interleaved. */
#define WI_ZIP8_LO(a, b) wasm_i8x16_shuffle(a, b, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23)
#define WI_ZIP8_HI(a, b) wasm_i8x16_shuffle(a, b, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31)

/* y[p * 3 + c] = x[p + c * xs3] for p < n, c < 3. */
WI_INLINE void wi_interleave3(const uint8_t* x, uint8_t* y, int32_t n, int32_t xs3) {
  int32_t p = 0;
  for (; p + 16 <= n; p += 16) {
    const v128_t r0 = wasm_v128_load(x + p), r1 = wasm_v128_load(x + p + xs3), r2 = wasm_v128_load(x + p + 2 * xs3);
    /* channels 0 and 1 into their lanes (0 where channel 2 goes), then channel 2 */
    const v128_t t0 = wasm_i8x16_shuffle(r0, r1, 0, 16, 0, 1, 17, 0, 2, 18, 0, 3, 19, 0, 4, 20, 0, 5);
    const v128_t t1 = wasm_i8x16_shuffle(r0, r1, 21, 0, 6, 22, 0, 7, 23, 0, 8, 24, 0, 9, 25, 0, 10, 26);
    const v128_t t2 = wasm_i8x16_shuffle(r0, r1, 0, 11, 27, 0, 12, 28, 0, 13, 29, 0, 14, 30, 0, 15, 31, 0);
    uint8_t* q = y + p * 3;
    wasm_v128_store(q, wasm_i8x16_shuffle(t0, r2, 0, 1, 16, 3, 4, 17, 6, 7, 18, 9, 10, 19, 12, 13, 20, 15));
    wasm_v128_store(q + 16, wasm_i8x16_shuffle(t1, r2, 0, 21, 2, 3, 22, 5, 6, 23, 8, 9, 24, 11, 12, 25, 14, 15));
    wasm_v128_store(q + 32, wasm_i8x16_shuffle(t2, r2, 26, 1, 2, 27, 4, 5, 28, 7, 8, 29, 10, 11, 30, 13, 14, 31));
  }
  for (; p < n; p++)
    for (int32_t c = 0; c < 3; c++) y[p * 3 + c] = x[p + c * xs3];
}

/* y[p * 4 + c] = x[p + c * xs3] for p < n, c < 4. */
WI_INLINE void wi_interleave4(const uint8_t* x, uint8_t* y, int32_t n, int32_t xs3) {
  int32_t p = 0;
  for (; p + 16 <= n; p += 16) {
    const v128_t r0 = wasm_v128_load(x + p), r1 = wasm_v128_load(x + p + xs3);
    const v128_t r2 = wasm_v128_load(x + p + 2 * xs3), r3 = wasm_v128_load(x + p + 3 * xs3);
    const v128_t a0 = WI_ZIP8_LO(r0, r1), a1 = WI_ZIP8_HI(r0, r1), b0 = WI_ZIP8_LO(r2, r3), b1 = WI_ZIP8_HI(r2, r3);
    uint8_t* q = y + p * 4;
    wasm_v128_store(q, wasm_i16x8_shuffle(a0, b0, 0, 8, 1, 9, 2, 10, 3, 11));
    wasm_v128_store(q + 16, wasm_i16x8_shuffle(a0, b0, 4, 12, 5, 13, 6, 14, 7, 15));
    wasm_v128_store(q + 32, wasm_i16x8_shuffle(a1, b1, 0, 8, 1, 9, 2, 10, 3, 11));
    wasm_v128_store(q + 48, wasm_i16x8_shuffle(a1, b1, 4, 12, 5, 13, 6, 14, 7, 15));
  }
  for (; p < n; p++)
    for (int32_t c = 0; c < 4; c++) y[p * 4 + c] = x[p + c * xs3];
}

/* y[c * ys2 + p] = x[c + p * 3] for c < 3, p < n. */
WI_INLINE void wi_deinterleave3(const uint8_t* x, uint8_t* y, int32_t n, int32_t ys2) {
  int32_t p = 0;
  for (; p + 16 <= n; p += 16) {
    const uint8_t* s = x + p * 3;
    const v128_t a = wasm_v128_load(s), b = wasm_v128_load(s + 16), c = wasm_v128_load(s + 32);
    /* the lanes from a and b (0 where c's go), then c's */
    const v128_t t0 = wasm_i8x16_shuffle(a, b, 0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 0, 0, 0, 0, 0);
    const v128_t t1 = wasm_i8x16_shuffle(a, b, 1, 4, 7, 10, 13, 16, 19, 22, 25, 28, 31, 0, 0, 0, 0, 0);
    const v128_t t2 = wasm_i8x16_shuffle(a, b, 2, 5, 8, 11, 14, 17, 20, 23, 26, 29, 0, 0, 0, 0, 0, 0);
    wasm_v128_store(y + p, wasm_i8x16_shuffle(t0, c, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 17, 20, 23, 26, 29));
    wasm_v128_store(y + ys2 + p, wasm_i8x16_shuffle(t1, c, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 18, 21, 24, 27, 30));
    wasm_v128_store(y + 2 * ys2 + p, wasm_i8x16_shuffle(t2, c, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 19, 22, 25, 28, 31));
  }
  for (; p < n; p++)
    for (int32_t c = 0; c < 3; c++) y[c * ys2 + p] = x[c + p * 3];
}

/* y[i2 ys2 + i3] = x[i2 + i3 xs3] for i2 < d2, i3 < d3: a 2-D transpose. */
WI_INLINE void wi_transpose8_2d(const uint8_t* x, uint8_t* y, int32_t d2, int32_t d3, int32_t xs3, int32_t ys2) {
  if (d3 == 3 && ys2 == 3) {
    wi_interleave3(x, y, d2, xs3);
    return;
  }
  if (d3 == 4 && ys2 == 4) {
    wi_interleave4(x, y, d2, xs3);
    return;
  }
  if (d2 == 3 && xs3 == 3) {
    wi_deinterleave3(x, y, d3, ys2);
    return;
  }
  int32_t i2 = 0;
  for (; i2 + 16 <= d2; i2 += 16) {
    int32_t i3 = 0;
    for (; i3 + 16 <= d3; i3 += 16) {
      v128_t r[16], t[16];
      for (int32_t j = 0; j < 16; j++) r[j] = wasm_v128_load(x + i2 + (i3 + j) * xs3);
      /* rows k and k + 8 interleaved, four times: row k then holds column k */
      for (int32_t round = 0; round < 4; round++) {
        for (int32_t k = 0; k < 8; k++) {
          t[2 * k] = WI_ZIP8_LO(r[k], r[k + 8]);
          t[2 * k + 1] = WI_ZIP8_HI(r[k], r[k + 8]);
        }
        for (int32_t k = 0; k < 16; k++) r[k] = t[k];
      }
      for (int32_t j = 0; j < 16; j++) wasm_v128_store(y + (i2 + j) * ys2 + i3, r[j]);
    }
    for (; i3 < d3; i3++)
      for (int32_t j = 0; j < 16; j++) y[(i2 + j) * ys2 + i3] = x[i2 + j + i3 * xs3];
  }
  for (; i2 < d2; i2++)
    for (int32_t i3 = 0; i3 < d3; i3++) y[i2 * ys2 + i3] = x[i2 + i3 * xs3];
}

WI_EXPORT void x8_transpose__wasmsimd(const uint8_t* x, uint8_t* y, const int32_t* geom) {
  const int32_t d0 = geom[0], d1 = geom[1], d2 = geom[2], d3 = geom[3];
  const int32_t xs0 = geom[4], xs1 = geom[5], xs2 = geom[6], xs3 = geom[7];
  const int32_t ys0 = geom[8], ys1 = geom[9], ys2 = geom[10], ys3 = geom[11];
  for (int32_t i0 = 0; i0 < d0; i0++)
    for (int32_t i1 = 0; i1 < d1; i1++) {
      const uint8_t* xb = x + i0 * xs0 + i1 * xs1;
      uint8_t* yb = y + i0 * ys0 + i1 * ys1;
      if (xs3 == 1 && ys3 == 1) {
        for (int32_t i2 = 0; i2 < d2; i2++) wi_copy_row8(xb + i2 * xs2, yb + i2 * ys2, d3);
      } else if (xs2 == 1 && ys3 == 1) {
        wi_transpose8_2d(xb, yb, d2, d3, xs3, ys2);
      } else {
        for (int32_t i2 = 0; i2 < d2; i2++)
          for (int32_t i3 = 0; i3 < d3; i3++) yb[i2 * ys2 + i3 * ys3] = xb[i2 * xs2 + i3 * xs3];
      }
    }
}
