/* f32_vbinary_minmax__wasmsimd: y = clamp(a OP b) with broadcasting.
 *
 * op: 0 add, 1 sub, 2 mul, 3 div, 4 min, 5 max (min/max propagate NaN, as
 * ONNX Min/Max). shape: the int32 array [d0, d1, d2, sa0, sa1, sa2, sb0, sb1,
 * sb2]: y is contiguous [d0, d1, d2] and y[i][j][l] = a[i*sa0 + j*sa1 +
 * l*sa2] OP b[i*sb0 + j*sb1 + l*sb2], strides in elements, sa2 and sb2 each 0
 * (broadcast: one value splatted) or 1 (contiguous: vector loads).
 * wasm_infer.kernels.bind_binary folds any numpy broadcast into this form
 * (same shape: [1, 1, n]; per channel NHWC: [1, HW, C] with b strides
 * [0, 0, 1]; per channel NCHW: [N, C, HW] with b strides [0, 1, 0]).
 * y may be the very same buffer as a or b when that operand is not broadcast
 * (in place residual Add). Reads only the a and b elements named above and
 * params; writes exactly y[0 .. d0*d1*d2).
 */
#include "kernels.h"

WI_INLINE v128_t binop(const int OP, v128_t a, v128_t b) {
  switch (OP) {
    case 0: return wasm_f32x4_add(a, b);
    case 1: return wasm_f32x4_sub(a, b);
    case 2: return wasm_f32x4_mul(a, b);
    case 3: return wasm_f32x4_div(a, b);
    case 4: return wasm_f32x4_min(a, b);
    default: return wasm_f32x4_max(a, b);
  }
}

/* One contiguous output row of n; A1/B1: 1 = contiguous operand, 0 = splat. */
WI_INLINE void binrow(const int OP, const int A1, const int B1, size_t n, const float* a,
                      const float* b, float* y, v128_t vmin, v128_t vmax) {
  const v128_t sa = A1 ? wasm_f32x4_const_splat(0.0f) : wasm_v128_load32_splat(a);
  const v128_t sb = B1 ? wasm_f32x4_const_splat(0.0f) : wasm_v128_load32_splat(b);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const v128_t a0 = A1 ? wasm_v128_load(a + i) : sa, a1 = A1 ? wasm_v128_load(a + i + 4) : sa;
    const v128_t b0 = B1 ? wasm_v128_load(b + i) : sb, b1 = B1 ? wasm_v128_load(b + i + 4) : sb;
    wasm_v128_store(y + i, wi_clamp(binop(OP, a0, b0), vmin, vmax));
    wasm_v128_store(y + i + 4, wi_clamp(binop(OP, a1, b1), vmin, vmax));
  }
  for (; i + 4 <= n; i += 4) {
    const v128_t a0 = A1 ? wasm_v128_load(a + i) : sa, b0 = B1 ? wasm_v128_load(b + i) : sb;
    wasm_v128_store(y + i, wi_clamp(binop(OP, a0, b0), vmin, vmax));
  }
  if (i < n) {
    const size_t r = n - i;
    const v128_t a0 = A1 ? wi_load_partial(a + i, r) : sa, b0 = B1 ? wi_load_partial(b + i, r) : sb;
    wi_store_partial(y + i, wi_clamp(binop(OP, a0, b0), vmin, vmax), r);
  }
}

WI_INLINE void binall(const int OP, const int A1, const int B1, const int32_t* s, const float* a,
                      const float* b, float* y, v128_t vmin, v128_t vmax) {
  const size_t d2 = (size_t)s[2];
  for (int32_t i = 0; i < s[0]; i++)
    for (int32_t j = 0; j < s[1]; j++, y += d2)
      binrow(OP, A1, B1, d2, a + (size_t)i * s[3] + (size_t)j * s[4], b + (size_t)i * s[6] + (size_t)j * s[7],
             y, vmin, vmax);
}

#define WI_BIN_CASES(OP)                                                        \
  case OP * 4 + 3: binall(OP, 1, 1, shape, a, b, y, vmin, vmax); break;         \
  case OP * 4 + 2: binall(OP, 1, 0, shape, a, b, y, vmin, vmax); break;         \
  case OP * 4 + 1: binall(OP, 0, 1, shape, a, b, y, vmin, vmax); break;         \
  case OP * 4 + 0: binall(OP, 0, 0, shape, a, b, y, vmin, vmax); break;

WI_EXPORT void f32_vbinary_minmax__wasmsimd(int32_t op, const float* a, const float* b, float* y,
                                            const int32_t* shape, const float* params) {
  const v128_t vmin = wasm_v128_load32_splat(params), vmax = wasm_v128_load32_splat(params + 1);
  switch (op * 4 + (shape[5] ? 2 : 0) + (shape[8] ? 1 : 0)) {
    WI_BIN_CASES(0) WI_BIN_CASES(1) WI_BIN_CASES(2) WI_BIN_CASES(3) WI_BIN_CASES(4) WI_BIN_CASES(5)
    default: break;
  }
}
