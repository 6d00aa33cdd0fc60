/* f32_vgelu__wasmsimd: y = clamp(x/2 (1 + erf(x / sqrt 2)), params[0], params[1])
 * for i < n (GELU, the Erf form); x may equal y.
 *
 * GELU(x) = x Phi(x); with s = |x| (at most 14) one branch-free formula
 * serves both signs: Phi(-s) = exp(-s^2/2) R(s), R(s) = Phi(-s) exp(s^2/2) =
 * 1 / (sqrt(2 pi) (s + g(s))) (the Mills ratio), g(s) = g0 + s P(s) / Q(s)
 * (degrees 3/4, fitted in float64 on [0, 14]: 4e-8 relative in R). Written
 * so, the rounding errors of P / Q are damped twice: by s |P/Q| / g near 0
 * and by g / (s + g) for large s. Then x < 0: x Phi(-s) (the tail keeps its
 * relative accuracy: no 1 + erf), x >= 0: x (1 - Phi(-s)). One exp, two
 * divisions.
 * exp(-s^2/2): s^2 = hi + lo with hi exact (s's top 12 bits squared; rounding
 * s^2 to float would cost s^2 2^-24 of relative error, 1e-5 at s = 14),
 * Cody-Waite reduction with lo subtracted from the reduced argument, a
 * degree-6 minimax polynomial (2e-9), the exponent set by "magic number"
 * rounding. It is computed as exp(-s^2/2) 2^64 (normal down to s = 14) with
 * 2^-64 folded into R's numerator, so results in the denormals get a single
 * rounding, at the end.
 * Within 6 ulp wherever the result is a normal float (4.3 ulp measured over
 * every binade, SIMD128 and relaxed; tests/node/kernels.test.mjs checks 5);
 * x < -14 gives -0 (the exact value is below 1e-44), +inf gives +inf, NaN
 * stays NaN.
 * Reads exactly x[0..n) and params, writes exactly y[0..n). */
#include "kernels.h"

WI_INLINE v128_t wi_gelu(v128_t x) {
  const v128_t s = wasm_f32x4_pmin(wasm_f32x4_abs(x), wasm_f32x4_const_splat(14.0f));   /* NaN stays NaN */
  /* s^2 / 2 = hi + lo, hi exact */
  const v128_t sh = wasm_v128_and(s, wasm_i32x4_const_splat((int32_t)0xFFFFF000u));
  const v128_t hi = wasm_f32x4_mul(wasm_f32x4_mul(sh, sh), wasm_f32x4_const_splat(0.5f));
  const v128_t lo = wasm_f32x4_mul(wasm_f32x4_mul(wasm_f32x4_sub(s, sh), wasm_f32x4_add(s, sh)),
                                   wasm_f32x4_const_splat(0.5f));
  /* exp(-hi - lo) 2^64: t = nearest(-hi / ln 2) + 1.5 2^23 + 127 + 64 holds n + 191 in its low bits */
  const v128_t magic = wasm_f32x4_const_splat(12583103.0f);
  const v128_t t = wi_madd(magic, hi, wasm_f32x4_const_splat(-1.44269502162933349609375f));
  const v128_t n = wasm_f32x4_sub(t, magic);
  v128_t r = wasm_f32x4_sub(wasm_f32x4_neg(hi), wasm_f32x4_mul(n, wasm_f32x4_const_splat(0.693145751953125f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_const_splat(1.428606765330187e-06f)));
  r = wasm_f32x4_sub(r, lo);
  v128_t p = wasm_f32x4_const_splat(1.383682364e-03f);
  p = wi_madd(wasm_f32x4_const_splat(8.374826983e-03f), p, r);
  p = wi_madd(wasm_f32x4_const_splat(4.166822508e-02f), p, r);
  p = wi_madd(wasm_f32x4_const_splat(1.666641980e-01f), p, r);
  p = wi_madd(wasm_f32x4_const_splat(4.999999106e-01f), p, r);
  p = wi_madd(wasm_f32x4_const_splat(1.0f), p, r);
  p = wi_madd(wasm_f32x4_const_splat(1.0f), p, r);
  const v128_t e = wasm_f32x4_mul(p, wasm_i32x4_shl(t, 23));
  /* R(s) 2^-64 = 2^-64 / (sqrt(2 pi) (s + g(s))), g(s) = g0 + s P(s) / Q(s), g0 = 2 / sqrt(2 pi) */
  v128_t pn = wasm_f32x4_const_splat(-9.157906286e-03f);
  pn = wi_madd(wasm_f32x4_const_splat(-6.984983385e-02f), pn, s);
  pn = wi_madd(wasm_f32x4_const_splat(-2.373648137e-01f), pn, s);
  pn = wi_madd(wasm_f32x4_const_splat(-3.633781672e-01f), pn, s);
  v128_t qd = wasm_f32x4_const_splat(1.147773303e-02f);
  qd = wi_madd(wasm_f32x4_const_splat(1.019165143e-01f), qd, s);
  qd = wi_madd(wasm_f32x4_const_splat(4.256839752e-01f), qd, s);
  qd = wi_madd(wasm_f32x4_const_splat(9.531401396e-01f), qd, s);
  qd = wi_madd(wasm_f32x4_const_splat(1.0f), qd, s);
  const v128_t g = wi_madd(wasm_f32x4_const_splat(2 * 3.9894228e-01f), s, wasm_f32x4_div(pn, qd));
  const v128_t q = wasm_f32x4_div(wasm_f32x4_const_splat(3.9894228e-01f * 0x1p-64f), wasm_f32x4_add(s, g));
  /* x < 0: (x e) q, one rounding into the denormals; x >= 0: x (1 - Phi(-s)), which keeps +inf */
  const v128_t neg = wasm_f32x4_mul(wasm_f32x4_mul(x, e), q);
  const v128_t pos = wasm_f32x4_mul(x, wasm_f32x4_sub(wasm_f32x4_const_splat(1.0f), wasm_f32x4_mul(q, e)));
  const v128_t r0 = wasm_v128_bitselect(neg, pos, wasm_f32x4_lt(x, wasm_f32x4_const_splat(0.0f)));
  return wasm_v128_bitselect(wasm_f32x4_const_splat(-0.0f), r0, wasm_f32x4_lt(x, wasm_f32x4_const_splat(-14.0f)));
}

WI_EXPORT void f32_vgelu__wasmsimd(size_t n, const float* x, float* y, const float* params) {
  const v128_t vmin = wasm_v128_load32_splat(params), vmax = wasm_v128_load32_splat(params + 1);
#define WI_F(v) wi_clamp(wi_gelu(v), vmin, vmax)
  WI_MAP_UNARY(n, x, y, WI_F);
#undef WI_F
}
