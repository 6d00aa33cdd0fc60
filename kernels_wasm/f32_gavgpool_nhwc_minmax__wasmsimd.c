/* f32_gavgpool_nhwc_minmax__wasmsimd: global average pool, NHWC.
 * y[b][c] = clamp(mean_{p < hw} x[b][p][c]) for b < n, c < channels
 * (x [n, hw, channels], y [n, channels]). 16 channels at a time (4
 * independent accumulators), then 4, then 1..3 with partial loads.
 * Reads exactly x and params, writes exactly y. */
#include "kernels.h"

WI_EXPORT void f32_gavgpool_nhwc_minmax__wasmsimd(size_t n, size_t hw, size_t channels,
                                                  const float* x, float* y, const float* params) {
  const v128_t vmin = wasm_v128_load32_splat(params), vmax = wasm_v128_load32_splat(params + 1);
  const v128_t scale = wasm_f32x4_splat(hw ? 1.0f / (float)hw : 0.0f);
  for (size_t b = 0; b < n; b++, x += hw * channels, y += channels) {
    size_t c = 0;
    for (; c + 16 <= channels; c += 16) {
      v128_t a0 = wasm_f32x4_const_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
      const float* p = x + c;
      for (size_t i = 0; i < hw; i++, p += channels) {
        a0 = wasm_f32x4_add(a0, wasm_v128_load(p));
        a1 = wasm_f32x4_add(a1, wasm_v128_load(p + 4));
        a2 = wasm_f32x4_add(a2, wasm_v128_load(p + 8));
        a3 = wasm_f32x4_add(a3, wasm_v128_load(p + 12));
      }
      wasm_v128_store(y + c, wi_clamp(wasm_f32x4_mul(a0, scale), vmin, vmax));
      wasm_v128_store(y + c + 4, wi_clamp(wasm_f32x4_mul(a1, scale), vmin, vmax));
      wasm_v128_store(y + c + 8, wi_clamp(wasm_f32x4_mul(a2, scale), vmin, vmax));
      wasm_v128_store(y + c + 12, wi_clamp(wasm_f32x4_mul(a3, scale), vmin, vmax));
    }
    for (; c < channels; c += 4) {
      const size_t r = wi_min_size(channels - c, 4);
      v128_t a0 = wasm_f32x4_const_splat(0.0f);
      const float* p = x + c;
      for (size_t i = 0; i < hw; i++, p += channels) a0 = wasm_f32x4_add(a0, wi_load_partial(p, r));
      wi_store_partial(y + c, wi_clamp(wasm_f32x4_mul(a0, scale), vmin, vmax), r);
    }
  }
}
