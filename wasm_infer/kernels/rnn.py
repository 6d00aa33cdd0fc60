"""Recurrent cell binder.

  bind_lstm_cell(xw, hr, c, h)
      one LSTM step after its gate GEMMs (ONNX gate order i, o, f, c; default
      activations): c = f * c + i * g (in place), h = o * tanh(c). xw, hr
      [batch, 4 * hidden] (xw rows may be strided), c, h [batch, hidden].
"""
import numpy as np

from .checks import _bound, _check, _check_out, _nothing, _row_stride, _span
from .loader import _func


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
