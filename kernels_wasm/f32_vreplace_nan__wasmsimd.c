/* f32_vreplace_nan__wasmsimd: y[i] = isnan(x[i]) ? params[0] : x[i] for i < n,
 * bit for bit (ONNX Where(IsNaN(x), c, x) with a one-element c: the guard that
 * torch exports after an attention Softmax to zero fully masked rows); x may
 * equal y (in place). Reads exactly x[0..n) and params[0], writes exactly y[0..n). */
#include "kernels.h"

WI_EXPORT void f32_vreplace_nan__wasmsimd(size_t n, const float* x, float* y, const float* params) {
  const v128_t vc = wasm_v128_load32_splat(params);
  /* x != x only in NaN lanes; bitselect takes vc there and x's own bits elsewhere */
#define WI_F(v) wasm_v128_bitselect(vc, v, wasm_f32x4_ne(v, v))
  WI_MAP_UNARY(n, x, y, WI_F);
#undef WI_F
}
