/* f32_layernorm_minmax__wasmsimd: for r < rows, over the `cols` contiguous
 * floats of row r (row stride = cols):
 *   mean = sum(x) / cols, var = sum((x - mean)^2) / cols   (two passes, as
 *   the ReduceMean/Sub/Mul/ReduceMean pattern exporters write computes it),
 *   y = clamp((x - mean) * (1 / sqrt(var + eps)) * gamma + beta, min, max).
 * gamma and beta are [cols]; either may be 0 (scale 1, no shift).
 * params = {min, max, eps}. x may equal y. NaN propagates (a NaN anywhere in
 * a row makes the whole row NaN, as the reference does). Reads exactly x,
 * gamma, beta and params; writes exactly y. */
#include "kernels.h"

/* The lanes of v added up, low lanes first (fixed order: results do not
 * depend on the build). */
WI_INLINE float wi_hsum(v128_t v) {
  return (wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1)) +
         (wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3));
}

WI_EXPORT void f32_layernorm_minmax__wasmsimd(size_t rows, size_t cols, const float* x, const float* gamma,
                                              const float* beta, float* y, const float* params) {
  if (cols == 0) return;
  const v128_t vmin = wasm_v128_load32_splat(params), vmax = wasm_v128_load32_splat(params + 1);
  const float eps = params[2];
  const size_t full = cols & ~(size_t)3, rem = cols - full;
  for (size_t r = 0; r < rows; r++, x += cols, y += cols) {
    /* Two accumulators hide the add latency; the tail is added once, last. */
    v128_t s0 = wasm_f32x4_const_splat(0.0f), s1 = s0;
    size_t i = 0;
    for (; i + 8 <= full; i += 8) {
      s0 = wasm_f32x4_add(s0, wasm_v128_load(x + i));
      s1 = wasm_f32x4_add(s1, wasm_v128_load(x + i + 4));
    }
    if (i < full) s0 = wasm_f32x4_add(s0, wasm_v128_load(x + i));
    float sum = wi_hsum(wasm_f32x4_add(s0, s1));
    for (i = full; i < cols; i++) sum += x[i];
    const float mean = sum / (float)cols;
    const v128_t vmean = wasm_f32x4_splat(mean);

    s0 = wasm_f32x4_const_splat(0.0f), s1 = s0;
    for (i = 0; i + 8 <= full; i += 8) {
      const v128_t d0 = wasm_f32x4_sub(wasm_v128_load(x + i), vmean);
      const v128_t d1 = wasm_f32x4_sub(wasm_v128_load(x + i + 4), vmean);
      s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(d0, d0));
      s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(d1, d1));
    }
    if (i < full) {
      const v128_t d = wasm_f32x4_sub(wasm_v128_load(x + i), vmean);
      s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(d, d));
    }
    float ss = wi_hsum(wasm_f32x4_add(s0, s1));
    for (i = full; i < cols; i++) ss += (x[i] - mean) * (x[i] - mean);
    const float inv = 1.0f / __builtin_sqrtf(ss / (float)cols + eps);
    const v128_t vinv = wasm_f32x4_splat(inv);

    for (i = 0; i < full; i += 4) {
      v128_t v = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(x + i), vmean), vinv);
      if (gamma) v = wasm_f32x4_mul(v, wasm_v128_load(gamma + i));
      if (beta) v = wasm_f32x4_add(v, wasm_v128_load(beta + i));
      wasm_v128_store(y + i, wi_clamp(v, vmin, vmax));
    }
    if (rem) {
      v128_t v = wasm_f32x4_mul(wasm_f32x4_sub(wi_load_partial(x + full, rem), vmean), vinv);
      if (gamma) v = wasm_f32x4_mul(v, wi_load_partial(gamma + full, rem));
      if (beta) v = wasm_f32x4_add(v, wi_load_partial(beta + full, rem));
      wi_store_partial(y + full, wi_clamp(v, vmin, vmax), rem);
    }
  }
}
