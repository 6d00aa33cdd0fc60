/* f32_vexp__wasmsimd: y = clamp(exp(x), params[0], params[1]) for i < n
 * (wi_exp in kernels.h: relative error ~2e-7, +inf above 88.72, 0 below
 * -103.28, NaN stays NaN); x may equal y.
 * Reads exactly x[0..n) and params, writes exactly y[0..n). */
#include "kernels.h"

WI_EXPORT void f32_vexp__wasmsimd(size_t n, const float* x, float* y, const float* params) {
  const v128_t vmin = wasm_v128_load32_splat(params), vmax = wasm_v128_load32_splat(params + 1);
#define WI_F(v) wi_clamp(wi_exp(v), vmin, vmax)
  WI_MAP_UNARY(n, x, y, WI_F);
#undef WI_F
}
