/* qs8_vadd_minmax__wasmsimd: int8 elementwise add with requantization (what
 * onnxruntime's QLinearAdd and our QS8Add compute), any layout: position by
 * position over n elements.
 *
 *   y[i] = clamp(round_half_even(float32(a[i] - a_zero) * a_ratio
 *                                + float32(b[i] - b_zero) * b_ratio),
 *                out_min - y_zero, out_max - y_zero) + y_zero
 *
 * in float32 with the operations in this order, exactly as ops/op_qs8_add.py
 * computes it in NumPy (a - a_zero is an exact integer in float32; each
 * product and the sum are rounded once), so the bytes are equal. The clamp
 * bounds are integers, so clamping before rounding gives the same value.
 *
 * a, b, y: n bytes each, each uint8 or int8 (params say which). params: int32
 * [10] = a_zero, a_signed, b_zero, b_signed, y_zero, out_min, out_max,
 * y_signed, then a_ratio and b_ratio as float32 bits. 16 elements per step;
 * the last n mod 16 go through a copy so that no load reads and no store
 * writes past the buffers. Reads exactly a[0..n), b[0..n), params; writes
 * exactly y[0..n). y may be a or b (each element is read before it is written).
 */
#include "kernels.h"

enum { QA_ZERO, QA_SIGNED, QB_ZERO, QB_SIGNED, QY_ZERO, QY_MIN, QY_MAX, QY_SIGNED, QA_RATIO, QB_RATIO };

/* 16 bytes -> 4 vectors of float32(byte - zero). */
WI_INLINE void wi_qs8_widen16(v128_t v, int32_t is_signed, v128_t vz, v128_t out[4]) {
  const v128_t lo = wasm_i16x8_sub(is_signed ? wasm_i16x8_extend_low_i8x16(v) : wasm_u16x8_extend_low_u8x16(v), vz);
  const v128_t hi = wasm_i16x8_sub(is_signed ? wasm_i16x8_extend_high_i8x16(v) : wasm_u16x8_extend_high_u8x16(v), vz);
  out[0] = wasm_f32x4_convert_i32x4(wasm_i32x4_extend_low_i16x8(lo));
  out[1] = wasm_f32x4_convert_i32x4(wasm_i32x4_extend_high_i16x8(lo));
  out[2] = wasm_f32x4_convert_i32x4(wasm_i32x4_extend_low_i16x8(hi));
  out[3] = wasm_f32x4_convert_i32x4(wasm_i32x4_extend_high_i16x8(hi));
}

typedef struct {
  v128_t za, zb, ra, rb, lo, hi, zy;
  int32_t as, bs, ys;
} wi_qs8_add_p;

WI_INLINE v128_t wi_qs8_add16(v128_t va, v128_t vb, const wi_qs8_add_p* p) {
  v128_t fa[4], fb[4], q[4];
  wi_qs8_widen16(va, p->as, p->za, fa);
  wi_qs8_widen16(vb, p->bs, p->zb, fb);
  for (int j = 0; j < 4; j++) {
    v128_t f = wasm_f32x4_add(wasm_f32x4_mul(fa[j], p->ra), wasm_f32x4_mul(fb[j], p->rb));
    f = wasm_f32x4_pmin(wasm_f32x4_pmax(f, p->lo), p->hi);
    q[j] = wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest(f)), p->zy);
  }
  const v128_t h0 = wasm_i16x8_narrow_i32x4(q[0], q[1]), h1 = wasm_i16x8_narrow_i32x4(q[2], q[3]);
  return p->ys ? wasm_i8x16_narrow_i16x8(h0, h1) : wasm_u8x16_narrow_i16x8(h0, h1);
}

WI_EXPORT void qs8_vadd_minmax__wasmsimd(const uint8_t* a, const uint8_t* b, uint8_t* y, size_t n,
                                         const int32_t* params) {
  wi_qs8_add_p p;
  const int32_t zy = params[QY_ZERO];
  p.za = wasm_i16x8_splat((int16_t)params[QA_ZERO]);
  p.zb = wasm_i16x8_splat((int16_t)params[QB_ZERO]);
  p.ra = wasm_f32x4_splat(((const float*)params)[QA_RATIO]);
  p.rb = wasm_f32x4_splat(((const float*)params)[QB_RATIO]);
  p.lo = wasm_f32x4_splat((float)(params[QY_MIN] - zy));
  p.hi = wasm_f32x4_splat((float)(params[QY_MAX] - zy));
  p.zy = wasm_i32x4_splat(zy);
  p.as = params[QA_SIGNED];
  p.bs = params[QB_SIGNED];
  p.ys = params[QY_SIGNED];
  size_t i = 0;
  for (; i + 16 <= n; i += 16)
    wasm_v128_store(y + i, wi_qs8_add16(wasm_v128_load(a + i), wasm_v128_load(b + i), &p));
  if (i < n) {
    uint8_t ta[16] = {0}, tb[16] = {0}, ty[16];
    const size_t r = n - i;
    for (size_t j = 0; j < r; j++) {
      ta[j] = a[i + j];
      tb[j] = b[i + j];
    }
    wasm_v128_store(ty, wi_qs8_add16(wasm_v128_load(ta), wasm_v128_load(tb), &p));
    for (size_t j = 0; j < r; j++) y[i + j] = ty[j];
  }
}
