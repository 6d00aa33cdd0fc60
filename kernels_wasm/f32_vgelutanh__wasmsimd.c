/* f32_vgelutanh__wasmsimd: y = clamp(x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))),
 * params[0], params[1]) for i < n (GELU, the tanh form), computed as
 * x * sigmoid(2 sqrt(2/pi) (x + 0.044715 x^3)) (the same function: 1 + tanh(t) =
 * 2 sigmoid(2t)) with wi_sigmoid, which neither overflows nor cancels; x may
 * equal y. +inf gives +inf; where the sigmoid underflows to 0 (x below about
 * -9, and -inf) the result is 0, not -inf * 0 = NaN. NaN stays NaN.
 * Reads exactly x[0..n) and params, writes exactly y[0..n). */
#include "kernels.h"

WI_INLINE v128_t wi_gelu_tanh(v128_t x) {
  const v128_t x3 = wasm_f32x4_mul(wasm_f32x4_mul(x, x), x);
  const v128_t t = wasm_f32x4_mul(wi_madd(x, x3, wasm_f32x4_const_splat(0.044715f)),
                                  wasm_f32x4_const_splat(1.5957691216057308f));   /* 2 sqrt(2/pi) */
  const v128_t sg = wi_sigmoid(t);
  const v128_t zero = wasm_f32x4_const_splat(0.0f);
  return wasm_v128_bitselect(zero, wasm_f32x4_mul(x, sg), wasm_f32x4_eq(sg, zero));
}

WI_EXPORT void f32_vgelutanh__wasmsimd(size_t n, const float* x, float* y, const float* params) {
  const v128_t vmin = wasm_v128_load32_splat(params), vmax = wasm_v128_load32_splat(params + 1);
#define WI_F(v) wi_clamp(wi_gelu_tanh(v), vmin, vmax)
  WI_MAP_UNARY(n, x, y, WI_F);
#undef WI_F
}
