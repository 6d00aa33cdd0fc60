/* x32_transpose__wasmsimd: y = x with its axes permuted, 32-bit elements
 * (float32, int32, uint32: the bits are copied), on the binder's folded view
 * of at most 4 dims: geom = {d0, d1, d2, d3, xs0, xs1, xs2, xs3, ys0, ys1,
 * ys2, ys3} (int32; strides in elements), and
 *   y[i0 ys0 + i1 ys1 + i2 ys2 + i3 ys3] = x[i0 xs0 + i1 xs1 + i2 xs2 + i3 xs3]
 * for every index. The binder (wasm_infer/kernels/transpose.py) puts y's
 * innermost axis last (ys3 = 1) and, when x's innermost axis is another one,
 * that axis third (xs2 = 1). Three loops by the strides:
 *   xs3 == 1: rows of d3 contiguous elements on both sides, 16 then 4 at a time
 *             (attention's [B, S, H, D] <-> [B, H, S, D]);
 *   xs2 == 1: 4x4 blocks loaded as 4 rows of x and stored as 4 rows of y,
 *             transposed in registers (attention's K^T, NCHW <-> NHWC);
 *   else:     one element at a time.
 * Reads exactly the elements of x the geometry names, writes exactly y's; x
 * and y must not overlap. */
#include "kernels.h"

typedef uint32_t wi_u32;

WI_INLINE void wi_copy_row(const wi_u32* x, wi_u32* y, int32_t n) {
  int32_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const v128_t a = wasm_v128_load(x + i), b = wasm_v128_load(x + i + 4);
    const v128_t c = wasm_v128_load(x + i + 8), d = wasm_v128_load(x + i + 12);
    wasm_v128_store(y + i, a);
    wasm_v128_store(y + i + 4, b);
    wasm_v128_store(y + i + 8, c);
    wasm_v128_store(y + i + 12, d);
  }
  for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, wasm_v128_load(x + i));
  for (; i < n; i++) y[i] = x[i];
}

/* y[i2 ys2 + i3] = x[i2 + i3 xs3] for i2 < d2, i3 < d3: a 2-D transpose. */
WI_INLINE void wi_transpose_2d(const wi_u32* x, wi_u32* y, int32_t d2, int32_t d3, int32_t xs3, int32_t ys2) {
  int32_t i2 = 0;
  for (; i2 + 4 <= d2; i2 += 4) {
    int32_t i3 = 0;
    for (; i3 + 4 <= d3; i3 += 4) {
      const wi_u32* p = x + i2 + i3 * xs3;
      const v128_t r0 = wasm_v128_load(p), r1 = wasm_v128_load(p + xs3);
      const v128_t r2 = wasm_v128_load(p + 2 * xs3), r3 = wasm_v128_load(p + 3 * xs3);
      const v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5);
      const v128_t t2 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7), t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
      wi_u32* q = y + i2 * ys2 + i3;
      wasm_v128_store(q, wasm_i64x2_shuffle(t0, t1, 0, 2));
      wasm_v128_store(q + ys2, wasm_i64x2_shuffle(t0, t1, 1, 3));
      wasm_v128_store(q + 2 * ys2, wasm_i64x2_shuffle(t2, t3, 0, 2));
      wasm_v128_store(q + 3 * ys2, wasm_i64x2_shuffle(t2, t3, 1, 3));
    }
    for (; i3 < d3; i3++)
      for (int32_t j = 0; j < 4; j++) y[(i2 + j) * ys2 + i3] = x[i2 + j + i3 * xs3];
  }
  for (; i2 < d2; i2++)
    for (int32_t i3 = 0; i3 < d3; i3++) y[i2 * ys2 + i3] = x[i2 + i3 * xs3];
}

WI_EXPORT void x32_transpose__wasmsimd(const wi_u32* x, wi_u32* y, const int32_t* geom) {
  const int32_t d0 = geom[0], d1 = geom[1], d2 = geom[2], d3 = geom[3];
  const int32_t xs0 = geom[4], xs1 = geom[5], xs2 = geom[6], xs3 = geom[7];
  const int32_t ys0 = geom[8], ys1 = geom[9], ys2 = geom[10], ys3 = geom[11];
  for (int32_t i0 = 0; i0 < d0; i0++)
    for (int32_t i1 = 0; i1 < d1; i1++) {
      const wi_u32* xb = x + i0 * xs0 + i1 * xs1;
      wi_u32* yb = y + i0 * ys0 + i1 * ys1;
      if (xs3 == 1 && ys3 == 1) {
        for (int32_t i2 = 0; i2 < d2; i2++) wi_copy_row(xb + i2 * xs2, yb + i2 * ys2, d3);
      } else if (xs2 == 1 && ys3 == 1) {
        wi_transpose_2d(xb, yb, d2, d3, xs3, ys2);
      } else {
        for (int32_t i2 = 0; i2 < d2; i2++)
          for (int32_t i3 = 0; i3 < d3; i3++) yb[i2 * ys2 + i3 * ys3] = xb[i2 * xs2 + i3 * xs3];
      }
    }
}
