/* f32_vsigmoid__wasmsimd: y = clamp(1 / (1 + exp(-x)), params[0], params[1])
 * for i < n (wi_sigmoid in kernels.h: no overflow, relative error ~1e-6); x
 * may equal y. Reads exactly x[0..n) and params, writes exactly y[0..n). */
#include "kernels.h"

WI_EXPORT void f32_vsigmoid__wasmsimd(size_t n, const float* x, float* y, const float* params) {
  const v128_t vmin = wasm_v128_load32_splat(params), vmax = wasm_v128_load32_splat(params + 1);
#define WI_F(v) wi_clamp(wi_sigmoid(v), vmin, vmax)
  WI_MAP_UNARY(n, x, y, WI_F);
#undef WI_F
}
