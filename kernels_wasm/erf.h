/* erf and erfc for 4 lanes, for f32_verf__wasmsimd (f32_vgelu__wasmsimd has a
 * cheaper formula of its own for x Phi(x)).
 *
 * a = |z| < WI_ERF_SMALL: erf(a) = a + a * Q(a^2), Q a degree-5 fit of
 * erf(a)/a - 1 (written as a + a*Q so the rounding of the small correction
 * does not reach the leading term).
 * a >= WI_ERF_SMALL: erfc(a) = exp(-a^2) * G(1 / (1 + a)) / (a sqrt(pi)), G a
 * degree-9 fit of a sqrt(pi) erfc(a) exp(a^2) on [0.75, 10] (it tends to 1).
 * a^2 is passed as hi + lo with hi exact (a's top 12 bits squared), and lo
 * enters exp after the argument reduction: rounding a^2 to float would cost
 * 2 a^2 * 2^-24 of relative error in erfc (1e-5 at a = 9).
 * Fitted in float64, checked emulating these float32 operations: erf within
 * 2 ulp of the correctly rounded value over the whole float range
 * (tests/node/kernels.test.mjs); erfc within 6 ulp. */
#ifndef WASM_INFER_ERF_H
#define WASM_INFER_ERF_H

#include "kernels.h"

#define WI_ERF_SMALL 0.75f

/* erf(a) for 0 <= a < WI_ERF_SMALL. */
WI_INLINE v128_t wi_erf_small(v128_t a) {
  const v128_t u = wasm_f32x4_mul(a, a);
  v128_t q = wasm_f32x4_const_splat(-6.775696529e-04f);
  q = wi_madd(wasm_f32x4_const_splat(5.118282512e-03f), q, u);
  q = wi_madd(wasm_f32x4_const_splat(-2.683674917e-02f), q, u);
  q = wi_madd(wasm_f32x4_const_splat(1.128342524e-01f), q, u);
  q = wi_madd(wasm_f32x4_const_splat(-3.761262298e-01f), q, u);
  q = wi_madd(wasm_f32x4_const_splat(1.283791661e-01f), q, u);
  return wi_madd(a, a, q);
}

/* s^2 = *hi + *lo, *hi exact: s's upper 12 significand bits squared. */
WI_INLINE void wi_square_split(v128_t s, v128_t* hi, v128_t* lo) {
  const v128_t sh = wasm_v128_and(s, wasm_i32x4_const_splat((int32_t)0xFFFFF000u));
  *hi = wasm_f32x4_mul(sh, sh);
  *lo = wasm_f32x4_mul(wasm_f32x4_sub(s, sh), wasm_f32x4_add(s, sh));
}

/* exp(-(hi + lo)) for hi >= 0 and |lo| << 1: wi_exp's reduction with lo
 * subtracted from the reduced argument, a degree-7 polynomial (relative
 * error < 1e-8 before rounding); 0 below 2^-149, NaN stays NaN. */
WI_INLINE v128_t wi_exp_neg2(v128_t hi, v128_t lo) {
  const v128_t x = wi_clamp(wasm_f32x4_neg(hi), wasm_f32x4_const_splat(-103.97f), wasm_f32x4_const_splat(0.0f));
  const v128_t n = wasm_f32x4_nearest(wasm_f32x4_mul(x, wasm_f32x4_const_splat(1.44269502162933349609375f)));
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_const_splat(0.693145751953125f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_const_splat(1.428606765330187e-06f)));
  r = wasm_f32x4_sub(r, lo);
  v128_t p = wasm_f32x4_const_splat(1.0f / 5040.0f);
  p = wi_madd(wasm_f32x4_const_splat(1.0f / 720.0f), p, r);
  p = wi_madd(wasm_f32x4_const_splat(1.0f / 120.0f), p, r);
  p = wi_madd(wasm_f32x4_const_splat(1.0f / 24.0f), p, r);
  p = wi_madd(wasm_f32x4_const_splat(1.0f / 6.0f), p, r);
  p = wi_madd(wasm_f32x4_const_splat(0.5f), p, r);
  p = wi_madd(wasm_f32x4_const_splat(1.0f), p, r);
  p = wi_madd(wasm_f32x4_const_splat(1.0f), p, r);
  const v128_t ni = wasm_i32x4_trunc_sat_f32x4(n);
  const v128_t n1 = wasm_i32x4_shr(ni, 1), n2 = wasm_i32x4_sub(ni, n1);
  const v128_t bias = wasm_i32x4_const_splat(127);
  p = wasm_f32x4_mul(wasm_f32x4_mul(p, wasm_i32x4_shl(wasm_i32x4_add(n1, bias), 23)),
                     wasm_i32x4_shl(wasm_i32x4_add(n2, bias), 23));
  return wasm_v128_andnot(p, wasm_f32x4_gt(hi, wasm_f32x4_const_splat(103.28f)));
}

/* erfc(a) for a >= WI_ERF_SMALL, a^2 = hi + lo (a finite, at most ~10). */
WI_INLINE v128_t wi_erfc_large(v128_t a, v128_t hi, v128_t lo) {
  const v128_t one = wasm_f32x4_const_splat(1.0f);
  const v128_t v = wasm_f32x4_div(one, wasm_f32x4_add(one, a));
  v128_t g = wasm_f32x4_const_splat(-5.387756348e+00f);
  g = wi_madd(wasm_f32x4_const_splat(1.658988762e+01f), g, v);
  g = wi_madd(wasm_f32x4_const_splat(-1.975865173e+01f), g, v);
  g = wi_madd(wasm_f32x4_const_splat(9.629384041e+00f), g, v);
  g = wi_madd(wasm_f32x4_const_splat(1.284169704e-01f), g, v);
  g = wi_madd(wasm_f32x4_const_splat(-7.937896252e-01f), g, v);
  g = wi_madd(wasm_f32x4_const_splat(-9.665880799e-01f), g, v);
  g = wi_madd(wasm_f32x4_const_splat(-5.049535036e-01f), g, v);
  g = wi_madd(wasm_f32x4_const_splat(3.310716711e-04f), g, v);
  g = wi_madd(wasm_f32x4_const_splat(9.999914169e-01f), g, v);
  return wasm_f32x4_div(wasm_f32x4_mul(wi_exp_neg2(hi, lo), g),
                        wasm_f32x4_mul(a, wasm_f32x4_const_splat(1.7724538509055159f)));
}

#endif /* WASM_INFER_ERF_H */
