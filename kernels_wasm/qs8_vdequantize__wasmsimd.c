/* qs8_vdequantize__wasmsimd: uint8/int8 -> float32 with a per-tensor scale and
 * zero point (ONNX DequantizeLinear, what a QDQ model does before a float op
 * such as its head's pooling, and to its outputs):
 *
 *   y[i] = float32(x[i] - zero) * scale
 *
 * x - zero is an integer in [-255, 255], exact in float32, and the float32
 * multiply rounds once, as the NumPy op's float64 product (exact: 9 x 24
 * bits) does when cast to float32: the same bits.
 *
 * x: n bytes, y: n float32. params: int32 [8] = zero, x_signed, scale as
 * float32 bits, 0, ... 16 values per step; the last n mod 16 through a copy,
 * so nothing outside x[0..n) is read and nothing outside y[0..n) written.
 */
#include "kernels.h"

WI_INLINE void wi_qs8_dq16(const uint8_t* x, float* y, v128_t vz, v128_t vs, int32_t is_signed) {
  const v128_t v = wasm_v128_load(x);
  const v128_t lo = wasm_i16x8_sub(is_signed ? wasm_i16x8_extend_low_i8x16(v) : wasm_u16x8_extend_low_u8x16(v), vz);
  const v128_t hi = wasm_i16x8_sub(is_signed ? wasm_i16x8_extend_high_i8x16(v) : wasm_u16x8_extend_high_u8x16(v), vz);
  wasm_v128_store(y, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_i32x4_extend_low_i16x8(lo)), vs));
  wasm_v128_store(y + 4, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_i32x4_extend_high_i16x8(lo)), vs));
  wasm_v128_store(y + 8, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_i32x4_extend_low_i16x8(hi)), vs));
  wasm_v128_store(y + 12, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_i32x4_extend_high_i16x8(hi)), vs));
}

WI_EXPORT void qs8_vdequantize__wasmsimd(const uint8_t* x, float* y, size_t n, const int32_t* params) {
  const int32_t is_signed = params[1];
  const v128_t vz = wasm_i16x8_splat((int16_t)params[0]);
  const v128_t vs = wasm_f32x4_splat(((const float*)params)[2]);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) wi_qs8_dq16(x + i, y + i, vz, vs, is_signed);
  if (i < n) {
    uint8_t tx[16] = {0};
    float ty[16];
    const size_t r = n - i;
    for (size_t j = 0; j < r; j++) tx[j] = x[i + j];
    wi_qs8_dq16(tx, ty, vz, vs, is_signed);
    for (size_t j = 0; j < r; j++) y[i + j] = ty[j];
  }
}
