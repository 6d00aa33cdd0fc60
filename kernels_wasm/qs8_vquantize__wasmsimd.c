/* qs8_vquantize__wasmsimd: float32 -> uint8/int8 with a per-tensor scale and
 * zero point (ONNX QuantizeLinear, what a QDQ model does to its float input):
 *
 *   y[i] = clamp(round_half_even(x[i] / scale), out_min - zero, out_max - zero) + zero
 *
 * The division is float32 and correctly rounded (f32x4.div), as the NumPy op
 * computes it, so the bytes are equal; the clamp bounds are integers, so
 * clamping before rounding gives the same value. NaN gives the zero point
 * (the ONNX spec leaves it undefined).
 *
 * x: n float32, y: n bytes. params: int32 [8] = zero, out_min, out_max,
 * y_signed, scale as float32 bits, 0, 0, 0. 16 values per step; the last n
 * mod 16 through a copy, so nothing outside x[0..n) is read and nothing
 * outside y[0..n) written.
 */
#include "kernels.h"

WI_INLINE v128_t wi_qs8_q4(v128_t x, v128_t vs, v128_t lo, v128_t hi, v128_t zero) {
  v128_t f = wasm_f32x4_div(x, vs);
  f = wasm_f32x4_pmin(wasm_f32x4_pmax(f, lo), hi);
  return wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest(f)), zero);
}

WI_INLINE v128_t wi_qs8_q16(const float* x, v128_t vs, v128_t lo, v128_t hi, v128_t zero, int32_t is_signed) {
  const v128_t q0 = wi_qs8_q4(wasm_v128_load(x), vs, lo, hi, zero);
  const v128_t q1 = wi_qs8_q4(wasm_v128_load(x + 4), vs, lo, hi, zero);
  const v128_t q2 = wi_qs8_q4(wasm_v128_load(x + 8), vs, lo, hi, zero);
  const v128_t q3 = wi_qs8_q4(wasm_v128_load(x + 12), vs, lo, hi, zero);
  const v128_t h0 = wasm_i16x8_narrow_i32x4(q0, q1), h1 = wasm_i16x8_narrow_i32x4(q2, q3);
  return is_signed ? wasm_i8x16_narrow_i16x8(h0, h1) : wasm_u8x16_narrow_i16x8(h0, h1);
}

WI_EXPORT void qs8_vquantize__wasmsimd(const float* x, uint8_t* y, size_t n, const int32_t* params) {
  const int32_t zy = params[0], is_signed = params[3];
  const v128_t vs = wasm_f32x4_splat(((const float*)params)[4]);
  const v128_t lo = wasm_f32x4_splat((float)(params[1] - zy)), hi = wasm_f32x4_splat((float)(params[2] - zy));
  const v128_t zero = wasm_i32x4_splat(zy);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) wasm_v128_store(y + i, wi_qs8_q16(x + i, vs, lo, hi, zero, is_signed));
  if (i < n) {
    float tx[16] = {0};
    uint8_t ty[16];
    const size_t r = n - i;
    for (size_t j = 0; j < r; j++) tx[j] = x[i + j];
    wasm_v128_store(ty, wi_qs8_q16(tx, vs, lo, hi, zero, is_signed));
    for (size_t j = 0; j < r; j++) y[i + j] = ty[j];
  }
}
