/* Scalar natural log in double precision for the log-softmax kernels (no libm
 * in the freestanding build). Only called on a softmax denominator s >= 1
 * (the row's maximum contributes exp(0) = 1), once per row or column. */
#ifndef WASM_INFER_LOG_H
#define WASM_INFER_LOG_H

#include "kernels.h"

/* log(s) for s >= 1 (NaN and +inf pass through): s = m 2^e with m in
 * [sqrt(1/2), sqrt(2)), log(m) = 2 atanh((m - 1) / (m + 1)) by its series to
 * t^11 (|t| <= 0.1716: truncation below 2e-11 relative). */
WI_INLINE double wi_log_ge1(double s) {
  if (!(s < 1.0e300)) return s;            /* NaN, +inf */
  union { double d; uint64_t u; } v = {s};
  int32_t e = (int32_t)((v.u >> 52) & 0x7FF) - 1023;
  v.u = (v.u & 0x000FFFFFFFFFFFFFull) | 0x3FF0000000000000ull;   /* mantissa in [1, 2) */
  double m = v.d;
  if (m > 1.4142135623730951) {
    m *= 0.5;
    e += 1;
  }
  const double t = (m - 1.0) / (m + 1.0), t2 = t * t;
  const double p = t * (2.0 + t2 * (2.0 / 3 + t2 * (2.0 / 5 + t2 * (2.0 / 7 + t2 * (2.0 / 9 + t2 * (2.0 / 11))))));
  return (double)e * 0.6931471805599453 + p;
}

#endif /* WASM_INFER_LOG_H */
