"""Recurrent binders.

  bind_lstm_cell(xw, hr, c, h)
      one LSTM step after its gate GEMMs (ONNX gate order i, o, f, c; default
      activations): c = f * c + i * g (in place), h = o * tanh(c). xw, hr
      [batch, 4 * hidden] (xw rows may be strided), c, h [batch, hidden].
  bind_lstm_steps(xw, packed_r, h0, c, y, reverse=False)
      a whole sequence after its input GEMM: per step the recurrent GEMM
      (packed GEMM kernel) and the cell above, buffers checked once.
"""
import numpy as np

from .checks import _bound, _check, _check_out, _check_packed, _nothing, _row_stride, _span, params
from .loader import _func
from .packing import GEMM_NR, _panels


def bind_lstm_cell(xw, hr, c, h):
    """Validate one LSTM step and return a runner. All float32; hr, c and h
    C-contiguous, xw with contiguous rows; h must not overlap xw, hr or c, and c
    must not overlap xw or hr (c is read and rewritten in place)."""
    f = _func("f32_lstm_cell__wasmsimd")
    _check(xw, "xw", 2, contiguous=False)
    for arr, name in ((hr, "hr"), (c, "c"), (h, "h")):
        _check(arr, name, 2)
    batch, hidden = c.shape
    if h.shape != (batch, hidden) or hr.shape != (batch, 4 * hidden) or xw.shape != (batch, 4 * hidden):
        raise ValueError(f"lstm_cell: xw {xw.shape} and hr {hr.shape} must be [batch, 4 * hidden], c {c.shape} "
                         f"and h {h.shape} [batch, hidden]")
    sx = _row_stride(xw, "xw")
    spans = {name: _span(arr.ctypes.data, arr, sx if name == "xw" else None)
             for arr, name in ((xw, "xw"), (hr, "hr"), (c, "c"))}
    _check_out(h, _span(h.ctypes.data, h), tuple(spans.items()))
    _check_out(c, spans["c"], (("xw", spans["xw"]), ("hr", spans["hr"])))
    if c.size == 0:
        return _nothing
    return _bound([(f, (batch, hidden, xw.ctypes.data, sx, hr.ctypes.data, c.ctypes.data, h.ctypes.data))],
                  (xw, hr, c, h))


def bind_lstm_steps(xw, packed_r, h0, c, y, reverse=False):
    """Validate the recurrence of one LSTM direction and return a runner: for
    each step t (last to first when `reverse`), hr = h @ R^T (packed_r:
    pack_gemm of R [4 * hidden, hidden] with trans_b), then the cell on xw[t],
    hr and c, writing h = y[t]; h starts as h0. xw [steps, batch, 4 * hidden]
    (the input gates with the biases), y [steps, batch, hidden], h0 and c
    [batch, hidden], all float32 and C-contiguous; c is read and rewritten in
    place; y overlaps none of the others, c none but h0. The buffers are
    checked once, whole, and the runner walks them by fixed strides: nothing
    is made per step (a binder per step cost ~1 KiB of Python objects and
    ~0.45 ms a step at the first run in Pyodide, which a long sequence turns
    into GiBs and minutes). The runner takes an optional `check`, called every 1,024 steps
    (the run's deadline)."""
    gemm, cell = _func("f32_gemm_4x8_minmax__wasmsimd"), _func("f32_lstm_cell__wasmsimd")
    for arr, name, ndim in ((xw, "xw", 3), (y, "y", 3), (h0, "h0", 2), (c, "c", 2)):
        _check(arr, name, ndim)
    steps, batch, hidden = y.shape
    if xw.shape != (steps, batch, 4 * hidden) or h0.shape != (batch, hidden) or c.shape != (batch, hidden):
        raise ValueError(f"lstm_steps: xw {xw.shape} must be [steps, batch, 4 * hidden], h0 {h0.shape} and c "
                         f"{c.shape} [batch, hidden], for y {y.shape} [steps, batch, hidden]")
    _check_packed(packed_r, (_panels(4 * hidden), hidden + 1, GEMM_NR), "lstm_steps")
    if y.size == 0:
        return _nothing
    hr = np.empty((batch, 4 * hidden), np.float32)      # one step's recurrent gates: the runner's own
    ptr = {name: arr.ctypes.data for name, arr in (("xw", xw), ("packed_r", packed_r), ("h0", h0), ("c", c),
                                                     ("hr", hr), ("y", y))}
    spans = {name: _span(ptr[name], arr) for name, arr in (("xw", xw), ("packed_r", packed_r), ("h0", h0),
                                                             ("c", c), ("hr", hr))}
    _check_out(y, _span(ptr["y"], y), tuple(spans.items()))
    _check_out(c, spans["c"], tuple((n, spans[n]) for n in ("xw", "packed_r", "hr")))
    p = params(-np.inf, np.inf)
    x_step, y_step, n4 = xw.strides[0], y.strides[0], 4 * hidden
    pxw, pr, ph0, pc, phr, py, pp = (ptr["xw"], ptr["packed_r"], ptr["h0"], ptr["c"], ptr["hr"], ptr["y"],
                                     p.ctypes.data)
    order = range(steps - 1, -1, -1) if reverse else range(steps)

    def run(check=None):
        h = ph0
        for t in order:
            if check is not None and not t & 1023:
                check()
            gemm(batch, n4, hidden, h, hidden, pr, phr, n4, pp)
            h = py + t * y_step
            cell(batch, hidden, pxw + t * x_step, n4, phr, pc, h)
    run.keep = (xw, packed_r, h0, c, y, hr, p)
    return run
