/* qs8_dwconv2d_nhwc__wasmsimd: int8 depthwise 2-D convolution, NHWC (the
 * int8 twin of f32_dwconv2d_nhwc_minmax__wasmsimd).
 *
 * x [N, H, W, C] bytes (uint8 or int8), y [N, OH, OW, C] bytes; channel
 * multiplier 1. shape: the int32 array [N, H, W, C, KH, KW, OH, OW, sh, sw,
 * pad_top, pad_left, dh, dw]. packed_w (wasm_infer.kernels.
 * pack_qs8_conv2d_nhwc), Cp = round_up(C, 8): Cp int32 bias, Cp float32
 * scales, then KH * KW rows of Cp int16 weights (tap kh * KW + kw), zero
 * past C, then the same weights by pairs along each kernel row for the fast
 * paths: KH * ceil(KW / 2) rows of Cp x 2 int16 (row kh * ceil(KW / 2) + j,
 * channel c: w[kh][2j], w[kh][2j + 1], zero past KW). params: the 8 int32
 * of qs8_requant.h.
 *
 * Every product is exact in int32 (|x - x_zero| <= 255, |w| <= 128) and the
 * sums are the same integers on every path, so every path gives the same
 * bytes.
 *
 * Ring path (3x3 stride 1, 5x5 any stride; dilation 1), every full block of
 * 8 channels: block by block, output rows top to bottom. Each input row the
 * block needs is converted once into a row of "pair columns" (column u: for
 * each of the 8 channels the centred pair x(iw), x(iw + 1), iw = the
 * chunk's first input column + u, zero in the padding) in a ring of K rows
 * on the stack; taps (kh, 2j) and (kh, 2j + 1) of an output pixel are then
 * one 16-byte load per 4 channels and one i32x4.dot_i16x8_s against the
 * packed weight pair, with no widening, shuffle or border case left in the
 * inner loop (padding is zeros in the ring). Four output pixels share each
 * weight vector. Output columns go in chunks whose K ring rows fit
 * WI_QS8_DW_RING bytes. Against the direct path used for every K before
 * (bare module, EfficientNet-Lite0's shapes, Node and Chromium): 5x5 1.2-2.0x faster, 3x3 stride 1
 * 1.0-1.6x; at 3x3 stride 2 (two input rows and twice the columns converted
 * per output pixel) it was slower, so that keeps the direct path.
 *
 * Direct path (3x3 stride 2): per output row and 8-channel block, the raw
 * bytes of two taps of a kernel row interleaved by one shuffle and widened,
 * one i32x4.dot_i16x8_s per 4 channels, the input zero point folded into the
 * bias (bias - x_zero * sum of the weights: the same int32 sum); border
 * pixels point their padding taps at 8 bytes of the zero point (which then
 * contribute nothing).
 *
 * Generic loop (other kernel sizes and dilations, and the last C mod 8
 * channels): per output pixel, 8 channels at a time, for each tap inside
 * the input, 8 input bytes widened to int16 and centred (x - x_zero),
 * multiplied by the tap's 8 weights with i32x4.extmul_{low,high}_i16x8 into
 * two int32 accumulators; taps in the padding contribute nothing. The last
 * C mod 8 channels go through a copy of their bytes so that no load reads
 * past x.
 *
 * Requantization as in qs8_requant.h. Reads only x, packed_w, shape, params
 * and its own stack; writes exactly y.
 */
#include "qs8_requant.h"

/* Bytes of the ring (stack) of the ring path. */
#define WI_QS8_DW_RING 16384

/* acc0/acc1 += the pair of taps at pa, pb (8 bytes each) times the pair's
 * weights w0 (channels 0-3) and w1 (4-7): the two taps' bytes interleaved
 * by one shuffle, widened to int16 [x_a, x_b] per channel, and one
 * i32x4.dot_i16x8_s per 4 channels. */
#define WI_QS8_DW_PAIR(pa, pb, w0, w1, is_signed, acc0, acc1) do {                                       \
    const v128_t v_ = wasm_i8x16_shuffle(wasm_v128_load64_zero(pa), wasm_v128_load64_zero(pb),           \
                                         0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);          \
    const v128_t lo_ = (is_signed) ? wasm_i16x8_extend_low_i8x16(v_) : wasm_u16x8_extend_low_u8x16(v_);    \
    const v128_t hi_ = (is_signed) ? wasm_i16x8_extend_high_i8x16(v_) : wasm_u16x8_extend_high_u8x16(v_);  \
    acc0 = wasm_i32x4_add(acc0, wasm_i32x4_dot_i16x8(lo_, w0));                                             \
    acc1 = wasm_i32x4_add(acc1, wasm_i32x4_dot_i16x8(hi_, w1));                                             \
  } while (0)

/* Direct path, 3x3: one output row of one 8-channel block (channels c0 ..
 * c0 + 7 of xb, the image): wp points at the block's row pairs, b0/b1 the
 * block's bias with the zero point folded in. Pixels [o0, o1) have every
 * tap inside the input (fixed offsets from the row's first tap); the others
 * take a pointer per tap, to zbuf (8 bytes of the zero point) where the tap
 * falls in the padding. Tap kw = 3 (weight zero) reads tap kw = 2 again, so
 * its load stays inside the input. */
WI_INLINE void wi_qs8_dw_row3(const int32_t is_signed, const uint8_t* xb, int32_t h, int32_t w,
                              size_t c, size_t c0, int32_t ih0, int32_t sw, int32_t pl, int32_t ow_n,
                              int32_t o0, int32_t o1, const int16_t* wp, size_t cp, v128_t b0, v128_t b1,
                              uint8_t* yr, const float* scale, const wi_qs8_rq* rq, const uint8_t* zbuf) {
  const size_t xrow = (size_t)w * c;
  size_t off[12];           /* (kh, kw) at 4 * kh + kw, kw = 3 the same as kw = 2 */
  v128_t wv[6][2];
  for (int32_t kh = 0; kh < 3; kh++) {
    for (int32_t kw = 0; kw < 4; kw++) off[4 * kh + kw] = (size_t)kh * xrow + (size_t)(kw < 3 ? kw : 2) * c;
    for (int32_t j = 0; j < 2; j++) {
      wv[2 * kh + j][0] = wasm_v128_load(wp + (size_t)(2 * kh + j) * 2 * cp);
      wv[2 * kh + j][1] = wasm_v128_load(wp + (size_t)(2 * kh + j) * 2 * cp + 8);
    }
  }
  for (int32_t ow = 0; ow < ow_n; ow++) {
    v128_t acc0 = b0, acc1 = b1;
    if (ow >= o0 && ow < o1) {
      const uint8_t* px = xb + (size_t)ih0 * xrow + (size_t)(ow * sw - pl) * c + c0;
      for (int32_t p = 0; p < 6; p++)
        WI_QS8_DW_PAIR(px + off[2 * p], px + off[2 * p + 1], wv[p][0], wv[p][1], is_signed, acc0, acc1);
    } else {
      const uint8_t* tp[12];
      const int32_t iw0 = ow * sw - pl;
      for (int32_t kh = 0; kh < 3; kh++)
        for (int32_t kw = 0; kw < 4; kw++) {
          const int32_t ih = ih0 + kh, iw = iw0 + (kw < 3 ? kw : 2);
          tp[4 * kh + kw] = ih >= 0 && ih < h && iw >= 0 && iw < w
                            ? xb + ((size_t)ih * (size_t)w + (size_t)iw) * c + c0 : zbuf;
        }
      for (int32_t p = 0; p < 6; p++)
        WI_QS8_DW_PAIR(tp[2 * p], tp[2 * p + 1], wv[p][0], wv[p][1], is_signed, acc0, acc1);
    }
    wi_qs8_store8(yr + (size_t)ow * c + c0, acc0, acc1, scale, rq, 8);
  }
}

/* 8 channels of input pixel (ih, iw) centred as int16, or zeros in the padding. */
WI_INLINE v128_t wi_qs8_dw_px(const uint8_t* xb, int32_t ih, int32_t iw, int32_t h, int32_t w, size_t c,
                              size_t c0, v128_t vz, int32_t is_signed) {
  if (ih < 0 || ih >= h || iw < 0 || iw >= w) return wasm_i16x8_const_splat(0);
  const uint8_t* p = xb + ((size_t)ih * (size_t)w + (size_t)iw) * c + c0;
  return wasm_i16x8_sub(is_signed ? wasm_i16x8_load8x8(p) : wasm_u16x8_load8x8(p), vz);
}

/* One ring row: input row ih as nu pair columns of 16 int16 (column u:
 * channel i's pair x(ih, iw0 + u), x(ih, iw0 + u + 1) at 2i, 2i + 1). */
WI_INLINE void wi_qs8_dw_fill(int16_t* q, const uint8_t* xb, int32_t ih, int32_t iw0, int32_t nu, int32_t h,
                              int32_t w, size_t c, size_t c0, v128_t vz, int32_t is_signed) {
  v128_t prev = wi_qs8_dw_px(xb, ih, iw0, h, w, c, c0, vz, is_signed);
  for (int32_t u = 0; u < nu; u++, q += 16) {
    const v128_t next = wi_qs8_dw_px(xb, ih, iw0 + u + 1, h, w, c, c0, vz, is_signed);
    wasm_v128_store(q, wasm_i16x8_shuffle(prev, next, 0, 8, 1, 9, 2, 10, 3, 11));
    wasm_v128_store(q + 8, wasm_i16x8_shuffle(prev, next, 4, 12, 5, 13, 6, 14, 7, 15));
    prev = next;
  }
}

/* acc0/acc1 += the K x K taps of the output pixel whose first pair column is
 * at offset u of the ring rows qr (J = ceil(K / 2) pairs per kernel row).
 * The kernel-row loop stays rolled: unrolled 5x5 (30 weight vectors) spills
 * and measured about 1.4x slower. */
#define WI_QS8_DW_RING_PIXEL(K, J, qr, u, wv, acc0, acc1) do {                                        \
    _Pragma("clang loop unroll(disable)") for (int32_t kh_ = 0; kh_ < (K); kh_++)                       \
      _Pragma("clang loop unroll(full)") for (int32_t j_ = 0; j_ < (J); j_++) {                         \
        const int16_t* q_ = (qr)[kh_] + (u) + (size_t)j_ * 32;                                          \
        acc0 = wasm_i32x4_add(acc0, wasm_i32x4_dot_i16x8(wasm_v128_load(q_), (wv)[kh_][j_][0]));        \
        acc1 = wasm_i32x4_add(acc1, wasm_i32x4_dot_i16x8(wasm_v128_load(q_ + 8), (wv)[kh_][j_][1]));    \
      }                                                                                                 \
  } while (0)

/* Ring path for one 8-channel block (c0) and output columns [ow0, ow0 + nw)
 * of every output row. wq: the block's row pairs; ring: K rows of nu pair
 * columns, input row ih in slot ih mod K (tags: which row a slot holds). */
WI_INLINE void wi_qs8_dw_ring(const int32_t K, const int32_t is_signed, const uint8_t* xb, int32_t h, int32_t w,
                              size_t c, size_t c0, int32_t oh_n, int32_t ow0, int32_t nw, int32_t ow_n,
                              int32_t sh, int32_t sw, int32_t pt, int32_t pl, const int16_t* wq, size_t cp,
                              v128_t b0, v128_t b1, uint8_t* yb, const float* scale, const wi_qs8_rq* rq,
                              v128_t vz, int16_t* ring) {
  const int32_t J = (K + 1) / 2;
  const int32_t nu = (nw - 1) * sw + K;       /* the last pixel's last pair starts at column nu - 1 */
  const int32_t iw0 = ow0 * sw - pl;
  int32_t tags[5];
  for (int32_t s = 0; s < K; s++) tags[s] = -0x40000000;
  v128_t wv[5][3][2];
  _Pragma("clang loop unroll(full)") for (int32_t kh = 0; kh < K; kh++)
    _Pragma("clang loop unroll(full)") for (int32_t j = 0; j < J; j++) {
      wv[kh][j][0] = wasm_v128_load(wq + (size_t)(kh * J + j) * 2 * cp);
      wv[kh][j][1] = wasm_v128_load(wq + (size_t)(kh * J + j) * 2 * cp + 8);
    }
  for (int32_t oh = 0; oh < oh_n; oh++) {
    const int32_t ih0 = oh * sh - pt;
    const int16_t* qr[5];
    for (int32_t kh = 0; kh < K; kh++) {
      const int32_t ih = ih0 + kh, s = ((ih % K) + K) % K;
      int16_t* q = ring + (size_t)s * (size_t)nu * 16;
      if (tags[s] != ih) {
        wi_qs8_dw_fill(q, xb, ih, iw0, nu, h, w, c, c0, vz, is_signed);
        tags[s] = ih;
      }
      qr[kh] = q;
    }
    uint8_t* yr = yb + ((size_t)oh * (size_t)ow_n + (size_t)ow0) * c + c0;
    const size_t step = (size_t)sw * 16;
    /* four pixels at a time share each weight vector (8 accumulators + 2 weights: no spills) */
    int32_t i = 0;
    for (; i + 4 <= nw; i += 4) {
      v128_t a0 = b0, a1 = b1, d0 = b0, d1 = b1, e0 = b0, e1 = b1, f0 = b0, f1 = b1;
      const size_t u = (size_t)i * step;
      _Pragma("clang loop unroll(disable)") for (int32_t kh_ = 0; kh_ < K; kh_++)
        _Pragma("clang loop unroll(full)") for (int32_t j_ = 0; j_ < J; j_++) {
          const int16_t* q_ = qr[kh_] + u + (size_t)j_ * 32;
          const v128_t w0 = wv[kh_][j_][0], w1 = wv[kh_][j_][1];
          a0 = wasm_i32x4_add(a0, wasm_i32x4_dot_i16x8(wasm_v128_load(q_), w0));
          a1 = wasm_i32x4_add(a1, wasm_i32x4_dot_i16x8(wasm_v128_load(q_ + 8), w1));
          d0 = wasm_i32x4_add(d0, wasm_i32x4_dot_i16x8(wasm_v128_load(q_ + step), w0));
          d1 = wasm_i32x4_add(d1, wasm_i32x4_dot_i16x8(wasm_v128_load(q_ + step + 8), w1));
          e0 = wasm_i32x4_add(e0, wasm_i32x4_dot_i16x8(wasm_v128_load(q_ + 2 * step), w0));
          e1 = wasm_i32x4_add(e1, wasm_i32x4_dot_i16x8(wasm_v128_load(q_ + 2 * step + 8), w1));
          f0 = wasm_i32x4_add(f0, wasm_i32x4_dot_i16x8(wasm_v128_load(q_ + 3 * step), w0));
          f1 = wasm_i32x4_add(f1, wasm_i32x4_dot_i16x8(wasm_v128_load(q_ + 3 * step + 8), w1));
        }
      wi_qs8_store8x2(yr + (size_t)i * c, yr + (size_t)(i + 1) * c, a0, a1, d0, d1, scale, rq, 8);
      wi_qs8_store8x2(yr + (size_t)(i + 2) * c, yr + (size_t)(i + 3) * c, e0, e1, f0, f1, scale, rq, 8);
    }
    for (; i < nw; i++) {
      v128_t a0 = b0, a1 = b1;
      WI_QS8_DW_RING_PIXEL(K, J, qr, (size_t)i * step, wv, a0, a1);
      wi_qs8_store8(yr + (size_t)i * c, a0, a1, scale, rq, 8);
    }
  }
}

WI_EXPORT void qs8_dwconv2d_nhwc__wasmsimd(const uint8_t* x, const int16_t* packed_w, uint8_t* y,
                                           const int32_t* shape, const int32_t* params) {
  const int32_t n_ = shape[0], h = shape[1], w = shape[2], c_n = shape[3], kh_n = shape[4], kw_n = shape[5];
  const int32_t oh_n = shape[6], ow_n = shape[7], sh = shape[8], sw = shape[9], pt = shape[10], pl = shape[11];
  const int32_t dh = shape[12], dw = shape[13];
  const size_t c = (size_t)c_n, cp = (c + 7) & ~(size_t)7;
  const int32_t* bias = (const int32_t*)packed_w;
  const float* scale = (const float*)(packed_w + 2 * cp);
  const int16_t* wt = packed_w + 4 * cp;
  const int16_t* wpairs = wt + (size_t)kh_n * (size_t)kw_n * cp;
  const int32_t xs = params[WI_QS8_X_SIGNED];
  const v128_t vz = wasm_i16x8_splat((int16_t)params[WI_QS8_X_ZERO]);
  const wi_qs8_rq rq = wi_qs8_rq_make(params);
  const int32_t square = kh_n == kw_n && dh == 1 && dw == 1;
  const int32_t ring_k = square && (kh_n == 5 || (kh_n == 3 && sh == 1 && sw == 1));
  const int32_t direct3 = square && kh_n == 3 && !ring_k;
  const size_t c_fast = ring_k || direct3 ? c & ~(size_t)7 : 0;
  /* ring path: output columns per chunk so that K rows of (chunk - 1) * sw + K pair columns fit */
  const int32_t chunk = ring_k ? (WI_QS8_DW_RING / 32 / kh_n - kw_n) / sw + 1 : 1;
  int16_t ring[WI_QS8_DW_RING / 2] __attribute__((aligned(16)));
  const v128_t vzx = wasm_i32x4_splat(params[WI_QS8_X_ZERO]);
  uint8_t zbuf[8];
  for (int32_t i = 0; i < 8; i++) zbuf[i] = (uint8_t)params[WI_QS8_X_ZERO];
  for (int32_t b = 0; b < n_; b++) {
    const uint8_t* xb = x + (size_t)b * (size_t)h * (size_t)w * c;
    uint8_t* yb = y + (size_t)b * (size_t)oh_n * (size_t)ow_n * c;
    for (size_t c0 = 0; c0 < c_fast && ring_k; c0 += 8) {
      const int16_t* wq = wpairs + 2 * c0;
      const v128_t b0 = wasm_v128_load(bias + c0), b1 = wasm_v128_load(bias + c0 + 4);
      for (int32_t ow0 = 0; ow0 < ow_n; ow0 += chunk) {
        const int32_t nw = ow_n - ow0 < chunk ? ow_n - ow0 : chunk;
#define WI_QS8_DW_RING_CALL(K, S) wi_qs8_dw_ring(K, S, xb, h, w, c, c0, oh_n, ow0, nw, ow_n, sh, sw, pt, pl, \
                                                 wq, cp, b0, b1, yb, scale + c0, &rq, vz, ring)
        if (kh_n == 3) {
          if (xs) WI_QS8_DW_RING_CALL(3, 1); else WI_QS8_DW_RING_CALL(3, 0);
        } else {
          if (xs) WI_QS8_DW_RING_CALL(5, 1); else WI_QS8_DW_RING_CALL(5, 0);
        }
#undef WI_QS8_DW_RING_CALL
      }
    }
    for (int32_t oh = 0; oh < oh_n; oh++) {
      const int32_t ih0 = oh * sh - pt;
      uint8_t* yrow = yb + (size_t)oh * (size_t)ow_n * c;
      if (direct3) {
        /* [o0, o1): the pixels with every tap inside (none in a padding row) */
        int32_t o0 = 0, o1 = 0;
        if (ih0 >= 0 && ih0 + 3 <= h) {
          o0 = (pl + sw - 1) / sw;
          o1 = w - 3 + pl >= 0 ? (w - 3 + pl) / sw + 1 : 0;
          if (o1 > ow_n) o1 = ow_n;
        }
        for (size_t c0 = 0; c0 < c_fast; c0 += 8) {
          const int16_t* wb = wt + c0;
          v128_t s0 = wasm_i32x4_const_splat(0), s1 = wasm_i32x4_const_splat(0);
          for (int32_t t = 0; t < 9; t++) {
            const v128_t vw = wasm_v128_load(wb + (size_t)t * cp);
            s0 = wasm_i32x4_add(s0, wasm_i32x4_extend_low_i16x8(vw));
            s1 = wasm_i32x4_add(s1, wasm_i32x4_extend_high_i16x8(vw));
          }
          const v128_t b0 = wasm_i32x4_sub(wasm_v128_load(bias + c0), wasm_i32x4_mul(s0, vzx));
          const v128_t b1 = wasm_i32x4_sub(wasm_v128_load(bias + c0 + 4), wasm_i32x4_mul(s1, vzx));
          if (xs) wi_qs8_dw_row3(1, xb, h, w, c, c0, ih0, sw, pl, ow_n, o0, o1, wpairs + 2 * c0, cp, b0, b1, yrow, scale + c0, &rq, zbuf);
          else wi_qs8_dw_row3(0, xb, h, w, c, c0, ih0, sw, pl, ow_n, o0, o1, wpairs + 2 * c0, cp, b0, b1, yrow, scale + c0, &rq, zbuf);
        }
      }
      if (c_fast == c) continue;
      for (int32_t ow = 0; ow < ow_n; ow++) {
        const int32_t iw0 = ow * sw - pl;
        uint8_t* yp = yrow + (size_t)ow * c;
        for (size_t c0 = c_fast; c0 < c; c0 += 8) {
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
