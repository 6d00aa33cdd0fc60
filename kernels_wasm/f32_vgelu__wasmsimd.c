/* f32_vgelu__wasmsimd: y = clamp(x/2 (1 + erf(x / sqrt 2)), params[0], params[1])
 * for i < n (GELU, the Erf form); x may equal y.
 * x >= 0 or small |x|: from erf (erf.h); x < 0 beyond: x/2 erfc(|x| / sqrt 2)
 * directly, so the tail keeps its relative accuracy (1 + erf(x) would cancel):
 * within 6 ulp wherever the result is a normal float; x < -14 gives -0
 * (the exact value is below 1e-44), +inf gives +inf, NaN stays NaN.
 * Reads exactly x[0..n) and params, writes exactly y[0..n). */
#include "erf.h"

WI_INLINE v128_t wi_gelu(v128_t x) {
  const v128_t half = wasm_f32x4_const_splat(0.5f);
  const v128_t s = wasm_f32x4_pmin(wasm_f32x4_abs(x), wasm_f32x4_const_splat(14.0f));   /* NaN stays NaN */
  const v128_t a = wasm_f32x4_mul(s, wasm_f32x4_const_splat(0.70710678118654752f));
  v128_t hi, lo;
  wi_square_split(s, &hi, &lo);                     /* (x / sqrt 2)^2 = (hi + lo) / 2, exactly halved */
  const v128_t c = wi_erfc_large(a, wasm_f32x4_mul(hi, half), wasm_f32x4_mul(lo, half));
  const v128_t hx = wasm_f32x4_mul(half, x);
  const v128_t neg = wasm_f32x4_lt(x, wasm_f32x4_const_splat(0.0f));
  /* x >= 0: x (1 - erfc / 2), which keeps +inf; x < 0: x/2 erfc. */
  const v128_t big = wasm_v128_bitselect(wasm_f32x4_mul(hx, c),
                                         wasm_f32x4_mul(x, wasm_f32x4_sub(wasm_f32x4_const_splat(1.0f), wasm_f32x4_mul(half, c))),
                                         neg);
  const v128_t small = wi_madd(hx, wasm_f32x4_mul(half, s), wi_erf_small(a));   /* x/2 + |x|/2 erf(|x|/sqrt 2) */
  const v128_t r = wasm_v128_bitselect(small, big, wasm_f32x4_lt(a, wasm_f32x4_const_splat(WI_ERF_SMALL)));
  return wasm_v128_bitselect(wasm_f32x4_const_splat(-0.0f), r, wasm_f32x4_lt(x, wasm_f32x4_const_splat(-14.0f)));
}

WI_EXPORT void f32_vgelu__wasmsimd(size_t n, const float* x, float* y, const float* params) {
  const v128_t vmin = wasm_v128_load32_splat(params), vmax = wasm_v128_load32_splat(params + 1);
#define WI_F(v) wi_clamp(wi_gelu(v), vmin, vmax)
  WI_MAP_UNARY(n, x, y, WI_F);
#undef WI_F
}
