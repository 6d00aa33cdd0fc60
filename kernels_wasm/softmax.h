/* exp for the softmax kernels (f32_softmax*, f32_logsoftmax*), whose
 * arguments x - max are <= 0 or NaN: a cheaper exp than kernels.h's wi_exp
 * (lanes past a row's end may hold anything: their results are discarded).
 * x = n ln2 + r (|r| <= ln2 / 2, ln2 split hi + lo), n and 2^n from one
 * "magic number" addition (no nearest / truncation: its low bits are n + 127),
 * exp(r) by a degree-5 minimax polynomial with constant term 1 (9.2e-8
 * fitted in float64; relative error below 1.9e-7 measured in float32 on
 * [-87.3, 0]). Results below 2^-126 (x < -87.33) are
 * flushed to 0: they are below 1.2e-38 against a sum of at least 1. NaN stays
 * NaN. */
#ifndef WASM_INFER_SOFTMAX_H
#define WASM_INFER_SOFTMAX_H

#include "kernels.h"

WI_INLINE v128_t wi_exp_le0(v128_t x) {
  const v128_t lim = wasm_f32x4_const_splat(-87.33654f);    /* ln(2^-126) */
  const v128_t xc = wasm_f32x4_pmax(x, lim);                 /* NaN stays NaN */
  const v128_t magic = wasm_f32x4_const_splat(12583039.0f);  /* 1.5 2^23 + 127 */
  const v128_t t = wi_madd(magic, xc, wasm_f32x4_const_splat(1.44269502162933349609375f));
  const v128_t n = wasm_f32x4_sub(t, magic);
  v128_t r = wasm_f32x4_sub(xc, wasm_f32x4_mul(n, wasm_f32x4_const_splat(0.693145751953125f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_const_splat(1.428606765330187e-06f)));
  v128_t p = wasm_f32x4_const_splat(8.290301077e-03f);
  p = wi_madd(wasm_f32x4_const_splat(4.189799353e-02f), p, r);
  p = wi_madd(wasm_f32x4_const_splat(1.666763723e-01f), p, r);
  p = wi_madd(wasm_f32x4_const_splat(4.999914765e-01f), p, r);
  p = wi_madd(wasm_f32x4_const_splat(9.999997020e-01f), p, r);
  p = wi_madd(wasm_f32x4_const_splat(1.0f), p, r);           /* exp(0) = 1 exactly */
  p = wasm_f32x4_mul(p, wasm_i32x4_shl(t, 23));             /* 2^n: n + 127 in [1, 127] */
  return wasm_v128_andnot(p, wasm_f32x4_lt(x, lim));
}

#endif /* WASM_INFER_SOFTMAX_H */
