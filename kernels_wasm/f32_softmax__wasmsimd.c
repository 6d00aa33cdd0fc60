/* f32_softmax__wasmsimd: y[r][:] = softmax(x[r][:]) for r < rows, each row
 * `cols` contiguous floats (row stride = cols): max, then exp(x - max)
 * (wi_exp) written to y and summed, then y *= 1 / sum. x may equal y. A row
 * holding +inf or NaN gives NaN (as numpy's reference). Reads exactly x,
 * writes exactly y. params is unused (kept for the common ABI). */
#include "kernels.h"

WI_EXPORT void f32_softmax__wasmsimd(size_t rows, size_t cols, const float* x, float* y,
                                     const float* params) {
  (void)params;
  for (size_t r = 0; r < rows; r++, x += cols, y += cols) {
    if (cols == 0) continue;
    v128_t vm = wasm_f32x4_splat(x[0]);
    size_t i = 0;
    for (; i + 4 <= cols; i += 4) vm = wasm_f32x4_max(vm, wasm_v128_load(x + i));
    float m = wasm_f32x4_extract_lane(vm, 0);
    for (int l = 1; l < 4; l++) {
      const float v = l == 1 ? wasm_f32x4_extract_lane(vm, 1) : l == 2 ? wasm_f32x4_extract_lane(vm, 2)
                                                                       : wasm_f32x4_extract_lane(vm, 3);
      m = (v > m || v != v) ? v : m;
    }
    for (; i < cols; i++) m = (x[i] > m || x[i] != x[i]) ? x[i] : m;
    const v128_t vmax = wasm_f32x4_splat(m);
    v128_t vs = wasm_f32x4_const_splat(0.0f);
    for (i = 0; i + 4 <= cols; i += 4) {
      const v128_t e = wi_exp(wasm_f32x4_sub(wasm_v128_load(x + i), vmax));
      wasm_v128_store(y + i, e);
      vs = wasm_f32x4_add(vs, e);
    }
    float s = wasm_f32x4_extract_lane(vs, 0) + wasm_f32x4_extract_lane(vs, 1) +
              wasm_f32x4_extract_lane(vs, 2) + wasm_f32x4_extract_lane(vs, 3);
    if (i < cols) {
      const size_t rem = cols - i;
      const v128_t e = wi_exp(wasm_f32x4_sub(wi_load_partial(x + i, rem), vmax));
      wi_store_partial(y + i, e, rem);
      for (size_t l = 0; l < rem; l++) s += y[i + l];
    }
    const v128_t inv = wasm_f32x4_splat(1.0f / s);
    for (i = 0; i + 4 <= cols; i += 4) wasm_v128_store(y + i, wasm_f32x4_mul(wasm_v128_load(y + i), inv));
    for (; i < cols; i++) y[i] *= 1.0f / s;
  }
}
