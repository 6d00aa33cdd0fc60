/* f32_softmax_strided__wasmsimd: softmax over the middle axis of x viewed as
 * [outer, n, inner] (an ONNX Softmax on a non-last axis, with no transposes):
 * for every o < outer and c < inner, y[o][:][c] = softmax(x[o][:][c]).
 * Four columns c at a time, their max and sum in registers: max over the n
 * rows, exp(x - max) written to y and summed, then y *= 1 / sum; each element
 * is read from x before y's is written, so x may equal y. A column holding
 * +inf or NaN gives NaN (as f32_softmax__wasmsimd and numpy's reference).
 * Reads exactly x, writes exactly y. params is unused (the common ABI). */
#include "softmax.h"

WI_INLINE void wi_softmax_columns(size_t n, size_t inner, const float* x, float* y, size_t lanes) {
  v128_t m = wi_load_partial(x, lanes);
  for (size_t j = 1; j < n; j++) m = wasm_f32x4_max(m, wi_load_partial(x + j * inner, lanes));  /* NaN wins */
  v128_t s = wasm_f32x4_const_splat(0.0f);
  for (size_t j = 0; j < n; j++) {
    const v128_t e = wi_exp_le0(wasm_f32x4_sub(wi_load_partial(x + j * inner, lanes), m));
    wi_store_partial(y + j * inner, e, lanes);
    s = wasm_f32x4_add(s, e);
  }
  const v128_t inv = wasm_f32x4_div(wasm_f32x4_const_splat(1.0f), s);
  for (size_t j = 0; j < n; j++)
    wi_store_partial(y + j * inner, wasm_f32x4_mul(wi_load_partial(y + j * inner, lanes), inv), lanes);
}

WI_EXPORT void f32_softmax_strided__wasmsimd(size_t outer, size_t n, size_t inner, const float* x, float* y,
                                             const float* params) {
  (void)params;
  if (n == 0) return;
  for (size_t o = 0; o < outer; o++, x += n * inner, y += n * inner) {
    size_t c = 0;
    for (; c + 4 <= inner; c += 4) wi_softmax_columns(n, inner, x + c, y + c, 4);
    switch (inner - c) {   /* compile-time lane counts for the partial loads */
      case 1: wi_softmax_columns(n, inner, x + c, y + c, 1); break;
      case 2: wi_softmax_columns(n, inner, x + c, y + c, 2); break;
      case 3: wi_softmax_columns(n, inner, x + c, y + c, 3); break;
      default: break;
    }
  }
}
