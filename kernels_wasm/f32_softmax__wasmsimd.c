/* f32_softmax__wasmsimd: y[r][:] = softmax(x[r][:]) for r < rows, each row
 * `cols` contiguous floats (row stride = cols): max, then exp(x - max)
 * (wi_exp_le0, softmax.h) written to y and summed, then y *= 1 / sum; the
 * first two passes 16 floats a step with 4 independent accumulators (the
 * attention rows are short: 128 in all-MiniLM). x may equal y. A row holding
 * +inf or NaN gives NaN (as numpy's reference): the max uses pmax (one
 * instruction; it may skip a NaN), but exp(NaN - max) or exp(inf - inf) is NaN
 * and so is the sum. Reads exactly x, writes exactly y. params is unused
 * (kept for the common ABI). */
#include "softmax.h"

WI_EXPORT void f32_softmax__wasmsimd(size_t rows, size_t cols, const float* x, float* y,
                                     const float* params) {
  (void)params;
  if (cols == 0) return;
  for (size_t r = 0; r < rows; r++, x += cols, y += cols) {
    v128_t m0 = wasm_f32x4_splat(x[0]), m1 = m0, m2 = m0, m3 = m0;
    size_t i = 0;
    for (; i + 16 <= cols; i += 16) {
      m0 = wasm_f32x4_pmax(m0, wasm_v128_load(x + i));
      m1 = wasm_f32x4_pmax(m1, wasm_v128_load(x + i + 4));
      m2 = wasm_f32x4_pmax(m2, wasm_v128_load(x + i + 8));
      m3 = wasm_f32x4_pmax(m3, wasm_v128_load(x + i + 12));
    }
    for (; i + 4 <= cols; i += 4) m0 = wasm_f32x4_pmax(m0, wasm_v128_load(x + i));
    m0 = wasm_f32x4_pmax(wasm_f32x4_pmax(m0, m1), wasm_f32x4_pmax(m2, m3));
    m0 = wasm_f32x4_pmax(m0, wasm_i32x4_shuffle(m0, m0, 2, 3, 0, 1));
    float m = wasm_f32x4_extract_lane(wasm_f32x4_pmax(m0, wasm_i32x4_shuffle(m0, m0, 1, 0, 3, 2)), 0);
    for (; i < cols; i++) m = m < x[i] ? x[i] : m;
    const v128_t vmax = wasm_f32x4_splat(m);
    v128_t s0 = wasm_f32x4_const_splat(0.0f), s1 = s0, s2 = s0, s3 = s0;
    for (i = 0; i + 16 <= cols; i += 16) {
      const v128_t e0 = wi_exp_le0(wasm_f32x4_sub(wasm_v128_load(x + i), vmax));
      const v128_t e1 = wi_exp_le0(wasm_f32x4_sub(wasm_v128_load(x + i + 4), vmax));
      const v128_t e2 = wi_exp_le0(wasm_f32x4_sub(wasm_v128_load(x + i + 8), vmax));
      const v128_t e3 = wi_exp_le0(wasm_f32x4_sub(wasm_v128_load(x + i + 12), vmax));
      wasm_v128_store(y + i, e0);
      wasm_v128_store(y + i + 4, e1);
      wasm_v128_store(y + i + 8, e2);
      wasm_v128_store(y + i + 12, e3);
      s0 = wasm_f32x4_add(s0, e0);
      s1 = wasm_f32x4_add(s1, e1);
      s2 = wasm_f32x4_add(s2, e2);
      s3 = wasm_f32x4_add(s3, e3);
    }
    for (; i + 4 <= cols; i += 4) {
      const v128_t e = wi_exp_le0(wasm_f32x4_sub(wasm_v128_load(x + i), vmax));
      wasm_v128_store(y + i, e);
      s0 = wasm_f32x4_add(s0, e);
    }
    s0 = wasm_f32x4_add(wasm_f32x4_add(s0, s1), wasm_f32x4_add(s2, s3));
    float s = wasm_f32x4_extract_lane(s0, 0) + wasm_f32x4_extract_lane(s0, 1) +
              wasm_f32x4_extract_lane(s0, 2) + wasm_f32x4_extract_lane(s0, 3);
    if (i < cols) {
      const size_t rem = cols - i;
      const v128_t e = wi_exp_le0(wasm_f32x4_sub(wi_load_partial(x + i, rem), vmax));
      wi_store_partial(y + i, e, rem);
      for (size_t l = 0; l < rem; l++) s += y[i + l];
    }
    const float inv_s = 1.0f / s;
    const v128_t inv = wasm_f32x4_splat(inv_s);
    for (i = 0; i + 4 <= cols; i += 4) wasm_v128_store(y + i, wasm_f32x4_mul(wasm_v128_load(y + i), inv));
    for (; i < cols; i++) y[i] *= inv_s;
  }
}
