/* f32_verf__wasmsimd: y = clamp(erf(x), params[0], params[1]) for i < n
 * (erf.h: within 2 ulp; |x| >= 4 gives +-1, NaN stays NaN); x may equal y.
 * Reads exactly x[0..n) and params, writes exactly y[0..n). */
#include "erf.h"

WI_INLINE v128_t wi_erf(v128_t z) {
  const v128_t sign = wasm_i32x4_const_splat((int32_t)0x80000000u);
  const v128_t a = wasm_f32x4_pmin(wasm_f32x4_abs(z), wasm_f32x4_const_splat(4.0f));  /* NaN stays NaN */
  v128_t hi, lo;
  wi_square_split(a, &hi, &lo);
  const v128_t big = wasm_f32x4_sub(wasm_f32x4_const_splat(1.0f), wi_erfc_large(a, hi, lo));
  const v128_t r = wasm_v128_bitselect(wi_erf_small(a), big, wasm_f32x4_lt(a, wasm_f32x4_const_splat(WI_ERF_SMALL)));
  return wasm_v128_or(r, wasm_v128_and(z, sign));
}

WI_EXPORT void f32_verf__wasmsimd(size_t n, const float* x, float* y, const float* params) {
  const v128_t vmin = wasm_v128_load32_splat(params), vmax = wasm_v128_load32_splat(params + 1);
#define WI_F(v) wi_clamp(wi_erf(v), vmin, vmax)
  WI_MAP_UNARY(n, x, y, WI_F);
#undef WI_F
}
