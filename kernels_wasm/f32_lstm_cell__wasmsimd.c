/* f32_lstm_cell__wasmsimd: one LSTM step for `batch` rows of `hidden` units,
 * ONNX gate order i, o, f, c, default activations (Sigmoid, Tanh, Tanh), no
 * clip or peepholes. Per row b, with pre = xw[b] + hr[b] (4 * hidden each;
 * xw rows `xw_stride` floats apart, hr rows 4 * hidden):
 *   i = sigmoid(pre_i), o = sigmoid(pre_o), f = sigmoid(pre_f), g = tanh(pre_c)
 *   c[b] = f * c[b] + i * g,   h[b] = o * tanh(c[b])
 * c ([batch, hidden], contiguous) is updated in place; h ([batch, hidden],
 * contiguous) is written and overlaps nothing else. The gate GEMMs (x @ W^T
 * for all steps at once, h @ R^T per step) are the packed GEMM kernel's; this
 * is the elementwise rest of the step. Reads exactly xw, hr, c; writes
 * exactly c and h. */
#include "kernels.h"

/* tanh(x) = 2 * sigmoid(2x) - 1: absolute error ~1e-7, NaN stays NaN. */
WI_INLINE v128_t wi_tanh(v128_t x) {
  const v128_t s = wi_sigmoid(wasm_f32x4_add(x, x));
  return wasm_f32x4_sub(wasm_f32x4_add(s, s), wasm_f32x4_const_splat(1.0f));
}

WI_INLINE void wi_lstm_lanes(const float* xw, const float* hr, float* c, float* h, size_t hidden, size_t j,
                             size_t lanes) {
  v128_t pre[4];
  for (size_t q = 0; q < 4; q++) {
    pre[q] = wasm_f32x4_add(wi_load_partial(xw + q * hidden + j, lanes), wi_load_partial(hr + q * hidden + j, lanes));
  }
  const v128_t i = wi_sigmoid(pre[0]), o = wi_sigmoid(pre[1]), f = wi_sigmoid(pre[2]), g = wi_tanh(pre[3]);
  const v128_t cn = wasm_f32x4_add(wasm_f32x4_mul(f, wi_load_partial(c + j, lanes)), wasm_f32x4_mul(i, g));
  wi_store_partial(c + j, cn, lanes);
  wi_store_partial(h + j, wasm_f32x4_mul(o, wi_tanh(cn)), lanes);
}

WI_EXPORT void f32_lstm_cell__wasmsimd(size_t batch, size_t hidden, const float* xw, size_t xw_stride,
                                       const float* hr, float* c, float* h) {
  for (size_t b = 0; b < batch; b++, xw += xw_stride, hr += 4 * hidden, c += hidden, h += hidden) {
    size_t j = 0;
    for (; j + 4 <= hidden; j += 4) wi_lstm_lanes(xw, hr, c, h, hidden, j, 4);
    if (j < hidden) wi_lstm_lanes(xw, hr, c, h, hidden, j, hidden - j);
  }
}
