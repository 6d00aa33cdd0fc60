/* Shared pieces of the qs8_* kernels (hidden): the parameters, the 8-bit to
 * centred int16 conversion and the requantization.
 *
 * Activations are uint8 or int8 with a zero point; weights int8 (zero point
 * 0). The kernels compute on x - x_zero_point as int16 (exact: [-255, 255]),
 * so padding is 0 and no zero-point term needs folding into the bias, and
 * multiply-add pairs with i32x4.dot_i16x8_s (SIMD128, exact: two products
 * of at most 255 * 128 each). The int32 accumulator is requantized as
 * onnxruntime's MLAS does it: float32(acc) * scale[channel], clamped to
 * [out_min - y_zero_point, out_max - y_zero_point], rounded to nearest even,
 * plus y_zero_point, narrowed with saturation (the value is already in range).
 * The rounding is XNNPACK's "fmagic" one: the clamped f (|f| <= 255) plus
 * 1.5 * 2^23 lands where the float32 spacing is 1, so the addition itself
 * rounds f to nearest even and the integer is the sum's bits minus the magic
 * number's (the zero point folded into that subtraction): two instructions
 * where f32x4.nearest + i32x4.trunc_sat_f32x4 + the add are several on x64
 * (V8 expands the saturating conversion into a NaN/overflow-fixing sequence).
 */
#ifndef WASM_INFER_QS8_REQUANT_H
#define WASM_INFER_QS8_REQUANT_H

#include "kernels.h"

/* int32 params[8] of every qs8 kernel. */
enum {
  WI_QS8_X_ZERO, WI_QS8_X_SIGNED, WI_QS8_Y_ZERO, WI_QS8_OUT_MIN, WI_QS8_OUT_MAX, WI_QS8_Y_SIGNED,
  WI_QS8_PARAMS_LEN = 8
};

/* dst[0..n) = src[0..n) - zero (int16), src uint8 or int8. Reads exactly n bytes. */
WI_INLINE void wi_qs8_centre(int16_t* dst, const uint8_t* src, size_t n, int32_t zero, int32_t is_signed) {
  const v128_t vz = wasm_i16x8_splat((int16_t)zero);
  size_t i = 0;
  if (is_signed) {
    for (; i + 8 <= n; i += 8)
      wasm_v128_store(dst + i, wasm_i16x8_sub(wasm_i16x8_extend_low_i8x16(wasm_v128_load64_zero(src + i)), vz));
    for (; i < n; i++) dst[i] = (int16_t)((int32_t)(int8_t)src[i] - zero);
  } else {
    for (; i + 8 <= n; i += 8)
      wasm_v128_store(dst + i, wasm_i16x8_sub(wasm_u16x8_extend_low_u8x16(wasm_v128_load64_zero(src + i)), vz));
    for (; i < n; i++) dst[i] = (int16_t)((int32_t)src[i] - zero);
  }
}

typedef struct wi_qs8_rq {
  v128_t lo, hi, magic, magic_less_zero;
  int32_t is_signed;
} wi_qs8_rq;

#define WI_QS8_MAGIC 12582912.0f     /* 1.5 * 2^23, bits 0x4B400000 */

WI_INLINE wi_qs8_rq wi_qs8_rq_make(const int32_t* params) {
  wi_qs8_rq r;
  const int32_t zy = params[WI_QS8_Y_ZERO];
  r.lo = wasm_f32x4_splat((float)(params[WI_QS8_OUT_MIN] - zy));
  r.hi = wasm_f32x4_splat((float)(params[WI_QS8_OUT_MAX] - zy));
  r.magic = wasm_f32x4_splat(WI_QS8_MAGIC);
  r.magic_less_zero = wasm_i32x4_splat(0x4B400000 - zy);
  r.is_signed = params[WI_QS8_Y_SIGNED];
  return r;
}

WI_INLINE v128_t wi_qs8_rq4(v128_t acc, v128_t scale, const wi_qs8_rq* r) {
  v128_t f = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(acc), scale);
  /* pmax(lo, NaN) is lo: a NaN product (0 * an infinite scale) stays in range */
  f = wasm_f32x4_pmin(r->hi, wasm_f32x4_pmax(r->lo, f));
  return wasm_i32x4_sub(wasm_f32x4_add(f, r->magic), r->magic_less_zero);
}

/* Requantize 8 accumulators (two vectors) and store the first nc (1..8) bytes. */
WI_INLINE void wi_qs8_store8(uint8_t* dst, v128_t acc0, v128_t acc1, const float* scale,
                             const wi_qs8_rq* r, size_t nc) {
  const v128_t q0 = wi_qs8_rq4(acc0, wasm_v128_load(scale), r);
  const v128_t q1 = wi_qs8_rq4(acc1, wasm_v128_load(scale + 4), r);
  const v128_t h = wasm_i16x8_narrow_i32x4(q0, q1);
  const v128_t b = r->is_signed ? wasm_i8x16_narrow_i16x8(h, h) : wasm_u8x16_narrow_i16x8(h, h);
  if (nc == 8) {
    wasm_v128_store64_lane(dst, b, 0);
  } else {
    uint8_t tmp[16];
    wasm_v128_store(tmp, b);
    for (size_t j = 0; j < nc; j++) dst[j] = tmp[j];
  }
}

#endif /* WASM_INFER_QS8_REQUANT_H */
