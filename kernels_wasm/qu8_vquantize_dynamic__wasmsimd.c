/* qu8_vquantize_dynamic__wasmsimd: ONNX DynamicQuantizeLinear, float32 ->
 * uint8 with the scale and zero point taken from the data's range:
 *
 *   hi = max(0, max(x)), lo = min(0, min(x))      (a NaN anywhere: hi = lo = 0)
 *   scale = (hi == lo ? 1 : hi - lo) / 255
 *   zero = round_half_even(clamp(0 - lo / scale, 0, 255))
 *   y[i] = clamp(round_half_even(x[i] / scale) + zero, 0, 255)
 *
 * every step in float32 and correctly rounded, as ops/op_dynamic_quantize_linear.py
 * computes it (NumPy's max of an array with a NaN is NaN, and Python's
 * max(0.0, nan) is 0.0: hence the NaN rule), so scale, zero and every byte
 * of y are equal. Bytes of y where x / scale is NaN (x NaN, or inf / inf)
 * are unspecified, as NumPy's cast of NaN is, and so is the zero point
 * when min(x) is -inf (it is NaN before the cast; the kernel gives 0).
 *
 * Two passes: min/max over x (pmin/pmax, NaNs flagged apart), then 16
 * values per step through the "magic number" rounding of qs8_requant.h
 * (clamping to [-zero, 255 - zero] first is the same as clamping after the
 * rounding: the bounds are integers).
 * x: n float32; y: n bytes; scale_out: 1 float32; zero_out: 1 byte. The
 * tails go through copies: nothing outside x[0..n) is read, nothing outside
 * y[0..n), *scale_out, *zero_out written. n == 0 writes scale 1/255, zero 0.
 */
#include "qs8_requant.h"

WI_INLINE v128_t wi_qu8_dq4(v128_t x, v128_t vs, v128_t lo, v128_t hi, v128_t magic, v128_t magic_less_zero) {
  v128_t f = wasm_f32x4_div(x, vs);
  f = wasm_f32x4_pmin(wasm_f32x4_pmax(f, lo), hi);
  return wasm_i32x4_sub(wasm_f32x4_add(f, magic), magic_less_zero);
}

WI_EXPORT void qu8_vquantize_dynamic__wasmsimd(const float* x, size_t n, uint8_t* y, float* scale_out,
                                                uint8_t* zero_out) {
  /* min/max through pmin/pmax (one x64 instruction each; wasm's f32x4.min/max
   * are a sequence of about seven, for their NaN and signed-zero rules): a
   * NaN never wins a pmin/pmax against the accumulator, so NaNs are flagged
   * on the side, x != x. Two accumulator sets: half the dependency chain. */
  v128_t vmin0 = wasm_f32x4_splat(0.0f), vmax0 = vmin0, vmin1 = vmin0, vmax1 = vmin0;
  v128_t vnan = wasm_i32x4_const_splat(0);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const v128_t v0 = wasm_v128_load(x + i), v1 = wasm_v128_load(x + i + 4);
    vmin0 = wasm_f32x4_pmin(vmin0, v0);
    vmax0 = wasm_f32x4_pmax(vmax0, v0);
    vmin1 = wasm_f32x4_pmin(vmin1, v1);
    vmax1 = wasm_f32x4_pmax(vmax1, v1);
    vnan = wasm_v128_or(vnan, wasm_v128_or(wasm_f32x4_ne(v0, v0), wasm_f32x4_ne(v1, v1)));
  }
  float lmin[8], lmax[8];
  wasm_v128_store(lmin, vmin0);
  wasm_v128_store(lmin + 4, vmin1);
  wasm_v128_store(lmax, vmax0);
  wasm_v128_store(lmax + 4, vmax1);
  float mn = 0.0f, mx = 0.0f;
  int nan = wasm_v128_any_true(vnan);
  for (int l = 0; l < 8; l++) {
    mn = lmin[l] < mn ? lmin[l] : mn;
    mx = lmax[l] > mx ? lmax[l] : mx;
  }
  for (; i < n; i++) {
    nan |= x[i] != x[i];
    mn = x[i] < mn ? x[i] : mn;
    mx = x[i] > mx ? x[i] : mx;
  }
  const float hi = nan || !(mx > 0.0f) ? 0.0f : mx, lo = nan || !(mn < 0.0f) ? 0.0f : mn;
  const float scale = (hi == lo ? 1.0f : hi - lo) / 255.0f;
  float z = 0.0f - lo / scale;
  z = !(z >= 0.0f) ? 0.0f : (z > 255.0f ? 255.0f : z);   /* NaN (lo = -inf: -inf / inf) gives 0, no trap */
  const int32_t zero = (int32_t)__builtin_rintf(z);
  *scale_out = scale;
  *zero_out = (uint8_t)zero;

  const v128_t vs = wasm_f32x4_splat(scale);
  const v128_t vlo = wasm_f32x4_splat((float)-zero), vhi = wasm_f32x4_splat((float)(255 - zero));
  const v128_t magic = wasm_f32x4_splat(WI_QS8_MAGIC), magic_less_zero = wasm_i32x4_splat(0x4B400000 - zero);
  float tx[16];
  uint8_t ty[16];
  for (i = 0; i < n; i += 16) {
    const size_t r = n - i < 16 ? n - i : 16;
    const float* px = x + i;
    if (r < 16) {
      for (size_t j = 0; j < 16; j++) tx[j] = j < r ? x[i + j] : 0.0f;
      px = tx;
    }
    const v128_t q0 = wi_qu8_dq4(wasm_v128_load(px), vs, vlo, vhi, magic, magic_less_zero);
    const v128_t q1 = wi_qu8_dq4(wasm_v128_load(px + 4), vs, vlo, vhi, magic, magic_less_zero);
    const v128_t q2 = wi_qu8_dq4(wasm_v128_load(px + 8), vs, vlo, vhi, magic, magic_less_zero);
    const v128_t q3 = wi_qu8_dq4(wasm_v128_load(px + 12), vs, vlo, vhi, magic, magic_less_zero);
    const v128_t b = wasm_u8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(q0, q1), wasm_i16x8_narrow_i32x4(q2, q3));
    if (r == 16) {
      wasm_v128_store(y + i, b);
    } else {
      wasm_v128_store(ty, b);
      for (size_t j = 0; j < r; j++) y[i + j] = ty[j];
    }
  }
}
