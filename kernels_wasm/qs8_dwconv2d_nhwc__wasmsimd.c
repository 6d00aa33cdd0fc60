/* qs8_dwconv2d_nhwc__wasmsimd: int8 depthwise 2-D convolution, NHWC (the
 * int8 twin of f32_dwconv2d_nhwc_minmax__wasmsimd).
 *
 * x [N, H, W, C] bytes (uint8 or int8), y [N, OH, OW, C] bytes; channel
 * multiplier 1. shape: the int32 array [N, H, W, C, KH, KW, OH, OW, sh, sw,
 * pad_top, pad_left, dh, dw]. packed_w (wasm_infer.kernels.
 * pack_qs8_conv2d_nhwc), Cp = round_up(C, 8): Cp int32 bias, Cp float32
 * scales, then KH * KW rows of Cp int16 weights (tap kh * KW + kw), zero
 * past C. params: the 8 int32 of qs8_requant.h.
 *
 * Per output pixel, 8 channels at a time: for each tap inside the input, 8
 * input bytes widened to int16 and centred (x - x_zero), multiplied by the
 * tap's 8 weights with i32x4.extmul_{low,high}_i16x8 into two int32
 * accumulators (exact); taps in the padding contribute nothing, as the
 * centred zero point would. The last C mod 8 channels go through a copy of
 * their bytes so that no load reads past x. Requantization as in
 * qs8_requant.h. Reads only x, packed_w, shape and params; writes exactly y.
 */
#include "qs8_requant.h"

WI_EXPORT void qs8_dwconv2d_nhwc__wasmsimd(const uint8_t* x, const int16_t* packed_w, uint8_t* y,
                                           const int32_t* shape, const int32_t* params) {
  const int32_t n_ = shape[0], h = shape[1], w = shape[2], c_n = shape[3], kh_n = shape[4], kw_n = shape[5];
  const int32_t oh_n = shape[6], ow_n = shape[7], sh = shape[8], sw = shape[9], pt = shape[10], pl = shape[11];
  const int32_t dh = shape[12], dw = shape[13];
  const size_t c = (size_t)c_n, cp = (c + 7) & ~(size_t)7;
  const int32_t* bias = (const int32_t*)packed_w;
  const float* scale = (const float*)(packed_w + 2 * cp);
  const int16_t* wt = packed_w + 4 * cp;
  const int32_t xs = params[WI_QS8_X_SIGNED];
  const v128_t vz = wasm_i16x8_splat((int16_t)params[WI_QS8_X_ZERO]);
  const wi_qs8_rq rq = wi_qs8_rq_make(params);
  for (int32_t b = 0; b < n_; b++) {
    const uint8_t* xb = x + (size_t)b * (size_t)h * (size_t)w * c;
    for (int32_t oh = 0; oh < oh_n; oh++) {
      const int32_t ih0 = oh * sh - pt;
      for (int32_t ow = 0; ow < ow_n; ow++) {
        const int32_t iw0 = ow * sw - pl;
        uint8_t* yp = y + (((size_t)b * (size_t)oh_n + (size_t)oh) * (size_t)ow_n + (size_t)ow) * c;
        for (size_t c0 = 0; c0 < c; c0 += 8) {
          const size_t nc = wi_min_size(c - c0, 8);
          v128_t acc0 = wasm_v128_load(bias + c0), acc1 = wasm_v128_load(bias + c0 + 4);
          for (int32_t kh = 0; kh < kh_n; kh++) {
            const int32_t ih = ih0 + kh * dh;
            if (ih < 0 || ih >= h) continue;
            for (int32_t kw = 0; kw < kw_n; kw++) {
              const int32_t iw = iw0 + kw * dw;
              if (iw < 0 || iw >= w) continue;
              const uint8_t* px = xb + ((size_t)ih * (size_t)w + (size_t)iw) * c + c0;
              v128_t v;
              if (nc == 8) {
                v = wasm_v128_load64_zero(px);
              } else {
                uint8_t tmp[8] = {0, 0, 0, 0, 0, 0, 0, 0};
                for (size_t j = 0; j < nc; j++) tmp[j] = px[j];
                v = wasm_v128_load64_zero(tmp);
              }
              v = wasm_i16x8_sub(xs ? wasm_i16x8_extend_low_i8x16(v) : wasm_u16x8_extend_low_u8x16(v), vz);
              const v128_t vw = wasm_v128_load(wt + (size_t)(kh * kw_n + kw) * cp + c0);
              acc0 = wasm_i32x4_add(acc0, wasm_i32x4_extmul_low_i16x8(v, vw));
              acc1 = wasm_i32x4_add(acc1, wasm_i32x4_extmul_high_i16x8(v, vw));
            }
          }
          wi_qs8_store8(yp + c0, acc0, acc1, scale + c0, &rq, nc);
        }
      }
    }
  }
}
