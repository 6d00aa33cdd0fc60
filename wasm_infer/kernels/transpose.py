"""Transpose binder.

  folded_transpose(shape, perm)
      the axes of a C-contiguous x of `shape` permuted by `perm` as the
      kernel's geometry: [(size, x stride, y stride)] in elements, size-1 axes
      dropped and neighbours in both orders merged, y's innermost axis last
      and, when x's innermost axis is another, that one before it; None when
      more than 4 axes remain.
  bind_transpose(x, out, perm)
      out = numpy.transpose(x, perm) (copied, C-contiguous) for 4-byte dtypes
      (float32, int32, uint32) on x32_transpose and 1-byte ones (uint8, int8,
      bool) on x8_transpose: the bits are copied; at most 4 axes after folding
      (any perm of rank <= 4 qualifies), else ValueError.
"""
import numpy as np

from .checks import _INT32_LIMIT, _bound, _check_out, _nothing, _span
from .loader import _func

# the kernel by element size; the geometry is the same for both (strides in elements)
_X32, _X8 = "x32_transpose__wasmsimd", "x8_transpose__wasmsimd"
TRANSPOSE_KERNELS = {np.dtype(t): _X32 for t in (np.float32, np.int32, np.uint32)}
TRANSPOSE_KERNELS.update({np.dtype(t): _X8 for t in (np.uint8, np.int8, np.bool_)})


def folded_transpose(shape, perm):
    shape, perm = tuple(int(d) for d in shape), [int(p) for p in perm]
    xs = [1] * len(shape)
    for a in range(len(shape) - 2, -1, -1):
        xs[a] = xs[a + 1] * shape[a + 1]
    dims = []   # y order: [size, x stride, x axis]
    for a in perm:
        if shape[a] == 1:
            continue
        if dims and dims[-1][2] == a - 1:     # y's previous axis is x's previous axis: one axis
            dims[-1] = [dims[-1][0] * shape[a], xs[a], a]
        else:
            dims.append([shape[a], xs[a], a])
    ys = 1
    out = []
    for d, s, _ in reversed(dims):
        out.append((d, s, ys))
        ys *= d
    out.reverse()
    if len(out) > 4:
        return None
    if out and out[-1][1] != 1:
        inner = out.pop(next(i for i, g in enumerate(out) if g[1] == 1))   # x's innermost axis,
        out.insert(len(out) - 1, inner)                                    # moved before y's
    return [(1, 0, 0)] * (4 - len(out)) + out


def bind_transpose(x, out, perm):
    """Validate out = transpose(x, perm) and return a runner. x, out:
    C-contiguous, same 4-byte or 1-byte dtype; out of the permuted shape,
    apart from x."""
    for arr, name in ((x, "x"), (out, "out")):
        if not isinstance(arr, np.ndarray):
            raise ValueError(f"{name}: expected a numpy.ndarray, got {type(arr).__name__}")
        if arr.dtype not in TRANSPOSE_KERNELS:
            raise ValueError(f"{name}: dtype must be float32, int32, uint32, uint8, int8 or bool, got {arr.dtype}")
        if not (arr.flags.c_contiguous and arr.flags.aligned):
            raise ValueError(f"{name}: must be C-contiguous and aligned")
    if out.dtype != x.dtype:
        raise ValueError(f"transpose: out dtype {out.dtype} differs from x dtype {x.dtype}")
    perm = list(perm)
    if sorted(perm) != list(range(x.ndim)) or not all(isinstance(p, (int, np.integer)) for p in perm):
        raise ValueError(f"transpose: perm {perm} is not a permutation of {x.ndim} axes")
    if out.shape != tuple(x.shape[p] for p in perm):
        raise ValueError(f"transpose: out shape {out.shape} is not x's {x.shape} permuted by {perm}")
    if x.size >= _INT32_LIMIT:
        raise ValueError(f"transpose: {x.size} elements do not fit the kernel's int32 indices")
    geom = folded_transpose(x.shape, perm)
    if geom is None:
        raise ValueError(f"transpose: perm {perm} of {x.shape} does not fold into 4 axes")
    f = _func(TRANSPOSE_KERNELS[x.dtype])
    _check_out(out, _span(out.ctypes.data, out), (("x", _span(x.ctypes.data, x)),))
    if x.size == 0:
        return _nothing
    g = np.array([d for d, _, _ in geom] + [s for _, s, _ in geom] + [s for _, _, s in geom], np.int32)
    return _bound([(f, (x.ctypes.data, out.ctypes.data, g.ctypes.data))], (x, out, g))
