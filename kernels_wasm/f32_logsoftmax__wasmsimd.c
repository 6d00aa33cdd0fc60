/* f32_logsoftmax__wasmsimd: y[r][:] = log_softmax(x[r][:]) = (x - max) - log(sum
 * exp(x - max)) for r < rows, each row `cols` contiguous floats (row stride =
 * cols); the log of the sum in double (log.h). x may equal y (each element is
 * read before its y is written). A row holding +inf or NaN gives NaN (as numpy's
 * reference). Reads exactly x, writes exactly y. params is unused (the common ABI). */
#include "log.h"
#include "softmax.h"

WI_EXPORT void f32_logsoftmax__wasmsimd(size_t rows, size_t cols, const float* x, float* y,
                                        const float* params) {
  (void)params;
  if (cols == 0) return;
  for (size_t r = 0; r < rows; r++, x += cols, y += cols) {
    /* the maximum, NaN winning (f32x4.max propagates it; the scalar steps keep it) */
    v128_t vm = wasm_f32x4_splat(x[0]);
    size_t i = 0;
    for (; i + 4 <= cols; i += 4) vm = wasm_f32x4_max(vm, wasm_v128_load(x + i));
    float m = wasm_f32x4_extract_lane(vm, 0);
    const float l1 = wasm_f32x4_extract_lane(vm, 1), l2 = wasm_f32x4_extract_lane(vm, 2),
                l3 = wasm_f32x4_extract_lane(vm, 3);
    m = (l1 > m || l1 != l1) ? l1 : m;
    m = (l2 > m || l2 != l2) ? l2 : m;
    m = (l3 > m || l3 != l3) ? l3 : m;
    for (; i < cols; i++) m = (x[i] > m || x[i] != x[i]) ? x[i] : m;
    const v128_t vmax = wasm_f32x4_splat(m);
    v128_t vs = wasm_f32x4_const_splat(0.0f);
    i = 0;
    for (; i + 4 <= cols; i += 4) vs = wasm_f32x4_add(vs, wi_exp_le0(wasm_f32x4_sub(wasm_v128_load(x + i), vmax)));
    if (i < cols) {
      /* zero lanes past the row would add exp(0 - max): mask them out */
      const size_t rem = cols - i;
      const v128_t e = wi_exp_le0(wasm_f32x4_sub(wi_load_partial(x + i, rem), vmax));
      const v128_t lane = wasm_i32x4_make(0, 1, 2, 3);
      vs = wasm_f32x4_add(vs, wasm_v128_and(e, wasm_i32x4_lt(lane, wasm_i32x4_splat((int32_t)rem))));
    }
    const double s = (double)wasm_f32x4_extract_lane(vs, 0) + (double)wasm_f32x4_extract_lane(vs, 1) +
                     (double)wasm_f32x4_extract_lane(vs, 2) + (double)wasm_f32x4_extract_lane(vs, 3);
    const v128_t vlog = wasm_f32x4_splat((float)wi_log_ge1(s));
    for (i = 0; i + 4 <= cols; i += 4)
      wasm_v128_store(y + i, wasm_f32x4_sub(wasm_f32x4_sub(wasm_v128_load(x + i), vmax), vlog));
    if (i < cols) {
      const size_t rem = cols - i;
      wi_store_partial(y + i, wasm_f32x4_sub(wasm_f32x4_sub(wi_load_partial(x + i, rem), vmax), vlog), rem);
    }
  }
}
