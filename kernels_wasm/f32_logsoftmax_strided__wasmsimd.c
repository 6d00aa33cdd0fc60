/* f32_logsoftmax_strided__wasmsimd: log-softmax over the middle axis of x viewed
 * as [outer, n, inner] (an ONNX LogSoftmax on a non-last axis, no transposes):
 * y[o][:][c] = (x - max) - log(sum exp(x - max)) over the n rows, four columns c
 * at a time (max and sum in registers, the four logs in double, log.h). x may
 * equal y. A column holding +inf or NaN gives NaN. Reads exactly x, writes
 * exactly y. params is unused (the common ABI). */
#include "log.h"
#include "softmax.h"

WI_INLINE void wi_logsoftmax_columns(size_t n, size_t inner, const float* x, float* y, size_t lanes) {
  v128_t m = wi_load_partial(x, lanes);
  for (size_t j = 1; j < n; j++) m = wasm_f32x4_max(m, wi_load_partial(x + j * inner, lanes));  /* NaN wins */
  v128_t s = wasm_f32x4_const_splat(0.0f);
  for (size_t j = 0; j < n; j++) s = wasm_f32x4_add(s, wi_exp_le0(wasm_f32x4_sub(wi_load_partial(x + j * inner, lanes), m)));
  const v128_t l = wasm_f32x4_make((float)wi_log_ge1((double)wasm_f32x4_extract_lane(s, 0)),
                                   (float)wi_log_ge1((double)wasm_f32x4_extract_lane(s, 1)),
                                   (float)wi_log_ge1((double)wasm_f32x4_extract_lane(s, 2)),
                                   (float)wi_log_ge1((double)wasm_f32x4_extract_lane(s, 3)));
  for (size_t j = 0; j < n; j++)
    wi_store_partial(y + j * inner, wasm_f32x4_sub(wasm_f32x4_sub(wi_load_partial(x + j * inner, lanes), m), l), lanes);
}

WI_EXPORT void f32_logsoftmax_strided__wasmsimd(size_t outer, size_t n, size_t inner, const float* x, float* y,
                                                const float* params) {
  (void)params;
  if (n == 0) return;
  for (size_t o = 0; o < outer; o++, x += n * inner, y += n * inner) {
    size_t c = 0;
    for (; c + 4 <= inner; c += 4) wi_logsoftmax_columns(n, inner, x + c, y + c, 4);
    switch (inner - c) {   /* compile-time lane counts for the partial loads */
      case 1: wi_logsoftmax_columns(n, inner, x + c, y + c, 1); break;
      case 2: wi_logsoftmax_columns(n, inner, x + c, y + c, 2); break;
      case 3: wi_logsoftmax_columns(n, inner, x + c, y + c, 3); break;
      default: break;
    }
  }
}
