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
 * plus y_zero_point. The rounding is XNNPACK's "fmagic" one: f plus
 * 1.5 * 2^23 lands where the float32 spacing is 1 (for |f| < 2^22), so the
 * addition itself rounds f to nearest even and the integer is the sum's bits
 * minus the magic number's (the zero point folded into that subtraction).
 * The clamps are integer ones, as in XNNPACK's fp32 wasmsimd requantization:
 * the sum's bits, as int32, grow with f (negative sums have the sign bit set:
 * below everything), so one i32x4.max against the bits of magic + out_min -
 * y_zero_point clamps below exactly; above, the saturating narrows to 16 and
 * 8 bits and one byte min with out_max per 16 outputs (a larger f stays
 * larger after the subtraction). Per 4 outputs: convert, multiply, add, max,
 * subtract, where a float clamp took a pmin and a pmax (and f32x4.nearest +
 * i32x4.trunc_sat_f32x4 are several instructions each on x64). A NaN product
 * (0 * an infinite scale) gives out_max.
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
  v128_t magic, magic_min, magic_less_zero, hi;
  int32_t is_signed;
} wi_qs8_rq;

#define WI_QS8_MAGIC 12582912.0f     /* 1.5 * 2^23, bits 0x4B400000 */

WI_INLINE wi_qs8_rq wi_qs8_rq_make(const int32_t* params) {
  wi_qs8_rq r;
  const int32_t zy = params[WI_QS8_Y_ZERO];
  r.magic = wasm_f32x4_splat(WI_QS8_MAGIC);
  r.magic_min = wasm_i32x4_splat(0x4B400000 + params[WI_QS8_OUT_MIN] - zy);   /* bits of magic + out_min - zy */
  r.magic_less_zero = wasm_i32x4_splat(0x4B400000 - zy);
  r.hi = wasm_i8x16_splat((int8_t)params[WI_QS8_OUT_MAX]);
  r.is_signed = params[WI_QS8_Y_SIGNED];
  return r;
}

/* 4 accumulators -> round(clamped below) + zy as int32 (above out_max: still above it). */
WI_INLINE v128_t wi_qs8_rq4(v128_t acc, v128_t scale, const wi_qs8_rq* r) {
  const v128_t f = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_convert_i32x4(acc), scale), r->magic);
  return wasm_i32x4_sub(wasm_i32x4_max(f, r->magic_min), r->magic_less_zero);
}

/* Two rows of 8 (h0, h1: int16, saturated) -> 16 bytes, clamped above. */
WI_INLINE v128_t wi_qs8_bytes(v128_t h0, v128_t h1, const wi_qs8_rq* r) {
  return r->is_signed ? wasm_i8x16_min(wasm_i8x16_narrow_i16x8(h0, h1), r->hi)
                      : wasm_u8x16_min(wasm_u8x16_narrow_i16x8(h0, h1), r->hi);
}

WI_INLINE v128_t wi_qs8_half(v128_t acc0, v128_t acc1, const float* scale, const wi_qs8_rq* r) {
  return wasm_i16x8_narrow_i32x4(wi_qs8_rq4(acc0, wasm_v128_load(scale), r),
                                 wi_qs8_rq4(acc1, wasm_v128_load(scale + 4), r));
}

WI_INLINE void wi_qs8_store_part(uint8_t* dst, v128_t b, int lane, size_t nc) {
  uint8_t tmp[16];
  wasm_v128_store(tmp, b);
  for (size_t j = 0; j < nc; j++) dst[j] = tmp[8 * lane + j];
}

/* Requantize 8 accumulators (two vectors) and store the first nc (1..8) bytes. */
WI_INLINE void wi_qs8_store8(uint8_t* dst, v128_t acc0, v128_t acc1, const float* scale,
                             const wi_qs8_rq* r, size_t nc) {
  const v128_t h = wi_qs8_half(acc0, acc1, scale, r);
  const v128_t b = wi_qs8_bytes(h, h, r);
  if (nc == 8) {
    wasm_v128_store64_lane(dst, b, 0);
  } else {
    wi_qs8_store_part(dst, b, 0, nc);
  }
}

/* Two rows' 8 accumulators each (the same channels and scales), narrowed together. */
WI_INLINE void wi_qs8_store8x2(uint8_t* dst0, uint8_t* dst1, v128_t a0, v128_t a1, v128_t b0, v128_t b1,
                               const float* scale, const wi_qs8_rq* r, size_t nc) {
  const v128_t b = wi_qs8_bytes(wi_qs8_half(a0, a1, scale, r), wi_qs8_half(b0, b1, scale, r), r);
  if (nc == 8) {
    wasm_v128_store64_lane(dst0, b, 0);
    wasm_v128_store64_lane(dst1, b, 1);
  } else {
    wi_qs8_store_part(dst0, b, 0, nc);
    wi_qs8_store_part(dst1, b, 1, nc);
  }
}

#endif /* WASM_INFER_QS8_REQUANT_H */
