/* qu8s8_lstm_steps__wasmsimd: the recurrence of onnxruntime's
 * DynamicQuantizeLSTM (one direction, default activations, no clip or
 * peepholes), every step in one call. The input gates x_t @ W + Wb of all
 * steps come precomputed in `xw` (DynamicQuantizeLinear of the whole input,
 * then the qu8s8 GEMM: wasm_infer/lowering/quant_rnn.py). Per step, with
 * h = h0 before the first step and the previous step's output after:
 *
 *   q, scale, zero = DynamicQuantizeLinear(h)       (per tensor, all batch rows)
 *   hr  = float32((q - zero) @ (R - r_zero)) * (scale * r_scale) + Rb
 *   c   = f * c + i * g,  y_t = o * tanh(c)         (f32_lstm_cell__wasmsimd)
 *
 * the arithmetic of ops/op_dynamic_quantize_lstm.py (Rb is added to hr here,
 * after the input gates there: float rounding order only). One call instead
 * of three kernel calls per step from Python. The quantization and the cell
 * are the exported kernels themselves; the product is the qu8s8 GEMM's
 * (qu8_gemm.h) for 4 batch rows or more, and below that a GEMV over the same
 * packed panels, one row at a time, with two accumulator pairs (batch 1 is
 * the usual case: a stream).
 *
 * Arguments: steps, batch, hidden; xw (row b of step t at
 * xw + t * xw_step + b * xw_row floats; 4 * hidden each); packed_r from
 * pack_qu8_gemm(R [hidden, 4 * hidden], ..., bias Rb); h0 [batch, hidden];
 * c [batch, hidden], the initial cell state, updated in place to the last;
 * y: step t's output [batch, hidden] at y + t * y_step floats; reverse: steps
 * taken T-1 .. 0 (output still at its own t); work buffers qh (batch *
 * hidden bytes), hr (batch * 4 * hidden floats), scratch (batch * kk8 int16,
 * kk8 = hidden rounded up to 8). Reads exactly xw's rows, packed_r, h0, c, y
 * (a step's input is the previous output); writes exactly c, y's steps, qh,
 * hr and scratch. y's steps must not overlap each other, xw, h0 or c.
 */
#include "qu8_gemm.h"

/* The exported kernels this one runs per step (one module: direct calls). */
void qu8_vquantize_dynamic__wasmsimd(const float* x, size_t n, uint8_t* y, float* scale_out, uint8_t* zero_out);
void f32_lstm_cell__wasmsimd(size_t batch, size_t hidden, const float* xw, size_t xw_stride, const float* hr,
                             float* c, float* h);

/* One row: c[0..n) = float32(a . panels) * (sa * b_scale) + bias, a centred
 * int16 (kk8 values). Two accumulator pairs over alternate k pairs hide the
 * add latency; int32 sums are exact (and wrap) in any order. */
WI_INLINE void wi_qu8_gemv(size_t n, size_t kk8, const int16_t* a, float sa, const int16_t* packed_w, float* c) {
  const size_t panel = 32 + 8 * kk8;
  const v128_t vsa = wasm_f32x4_splat(sa);
  for (size_t j = 0; j < n; j += 8, packed_w += panel) {
    const int16_t* w = packed_w + 32;
    v128_t a0 = wasm_i32x4_const_splat(0), a1 = a0, b0 = a0, b1 = a0;
    for (size_t p = 0; p < kk8; p += 4, w += 32) {    /* kk8 is a multiple of 8: pairs come in twos */
      const v128_t va = wasm_v128_load32_splat(a + p), vb = wasm_v128_load32_splat(a + p + 2);
      a0 = wasm_i32x4_add(a0, wasm_i32x4_dot_i16x8(va, wasm_v128_load(w)));
      a1 = wasm_i32x4_add(a1, wasm_i32x4_dot_i16x8(va, wasm_v128_load(w + 8)));
      b0 = wasm_i32x4_add(b0, wasm_i32x4_dot_i16x8(vb, wasm_v128_load(w + 16)));
      b1 = wasm_i32x4_add(b1, wasm_i32x4_dot_i16x8(vb, wasm_v128_load(w + 24)));
    }
    wi_qu8_store(c + j, wasm_i32x4_add(a0, b0), wasm_i32x4_add(a1, b1), (const float*)packed_w, vsa,
                 wi_min_size(n - j, 8));
  }
}

WI_EXPORT void qu8s8_lstm_steps__wasmsimd(
    size_t steps, size_t batch, size_t hidden,
    const float* xw, size_t xw_step, size_t xw_row,
    const int16_t* packed_r, const float* h0, float* c,
    float* y, size_t y_step, int reverse,
    uint8_t* qh, float* hr, int16_t* scratch) {
  const size_t n = 4 * hidden, kk8 = (hidden + 7) & ~(size_t)7;
  const float* prev = h0;
  for (size_t s = 0; s < steps; s++) {
    const size_t t = reverse ? steps - 1 - s : s;
    float scale;
    uint8_t zero;
    qu8_vquantize_dynamic__wasmsimd(prev, batch * hidden, qh, &scale, &zero);
    if (batch >= WI_QU8_MR) {
      wi_qu8_gemm(batch, n, hidden, qh, hidden, &scale, &zero, packed_r, hr, n, scratch, batch, 1);
    } else {
      for (size_t b = 0; b < batch; b++) {
        wi_qu8_centre(scratch, qh + b * hidden, hidden, 1, hidden, kk8, zero);   /* one row: a plain row */
        wi_qu8_gemv(n, kk8, scratch, scale, packed_r, hr + b * n);
      }
    }
    float* h = y + t * y_step;
    f32_lstm_cell__wasmsimd(batch, hidden, xw + t * xw_step, xw_row, hr, c, h);
    prev = h;
  }
}
