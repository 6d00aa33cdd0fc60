/* f32_vclamp__wasmsimd: y[i] = min(max(x[i], params[0]), params[1]) for i < n
 * (Relu, Clip, ReLU6 on their own); x may equal y (in place). NaN propagates.
 * Reads exactly x[0..n) and params, writes exactly y[0..n). */
#include "kernels.h"

WI_EXPORT void f32_vclamp__wasmsimd(size_t n, const float* x, float* y, const float* params) {
  const v128_t vmin = wasm_v128_load32_splat(params), vmax = wasm_v128_load32_splat(params + 1);
#define WI_F(v) wi_clamp(v, vmin, vmax)
  WI_MAP_UNARY(n, x, y, WI_F);
#undef WI_F
}
