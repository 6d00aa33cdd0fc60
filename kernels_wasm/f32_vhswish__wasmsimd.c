/* f32_vhswish__wasmsimd: y = clamp(x * clamp(x / 6 + 1/2, 0, 1), params[0],
 * params[1]) for i < n (ONNX HardSwish, then an optional fused clamp); x may
 * equal y. Reads exactly x[0..n) and params, writes exactly y[0..n). */
#include "kernels.h"

WI_INLINE v128_t hswish(v128_t x) {
  const v128_t t = wasm_f32x4_add(wasm_f32x4_mul(x, wasm_f32x4_const_splat(1.0f / 6.0f)),
                                  wasm_f32x4_const_splat(0.5f));
  return wasm_f32x4_mul(x, wi_clamp(t, wasm_f32x4_const_splat(0.0f), wasm_f32x4_const_splat(1.0f)));
}

WI_EXPORT void f32_vhswish__wasmsimd(size_t n, const float* x, float* y, const float* params) {
  const v128_t vmin = wasm_v128_load32_splat(params), vmax = wasm_v128_load32_splat(params + 1);
#define WI_F(v) wi_clamp(hswish(v), vmin, vmax)
  WI_MAP_UNARY(n, x, y, WI_F);
#undef WI_F
}
