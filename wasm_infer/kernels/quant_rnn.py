"""Binder of the quantized LSTM's recurrence (onnxruntime's DynamicQuantizeLSTM).

  bind_qu8_lstm_steps(xw, packed_r, h0, c, y, reverse=False)
      every step of one direction in one kernel call
      (kernels_wasm/qu8s8_lstm_steps__wasmsimd.c): per step the hidden state
      quantized as DynamicQuantizeLinear, its product with R (packed_r from
      pack_qu8_gemm(R [hidden, 4 * hidden], r_zero, r_scale, Rb)), then the
      LSTM cell. xw float32 [T, batch, 4 * hidden] (the input gates with Wb;
      rows contiguous, any positive step and row strides: a direction's
      columns of a bidirectional GEMM), h0 and c float32 [batch, hidden]
      C-contiguous (c: initial cell state, rewritten to the last), y float32
      [T, batch, hidden] with each step C-contiguous, steps apart (Y[:, d]).
      y overlaps nothing else; c overlaps neither xw nor h0.
"""
import numpy as np

from .checks import _INT32_LIMIT, _bound, _check_out
from .loader import _func

_F32, _I16 = np.dtype(np.float32), np.dtype(np.int16)
_HEADER = 32             # pack_qu8_gemm's int16 per panel before the weights


def _f32(arr, name, ndim, contiguous=True):
    if not isinstance(arr, np.ndarray) or arr.dtype != _F32 or arr.ndim != ndim:
        raise ValueError(f"qu8_lstm_steps: {name} must be a {ndim}-D float32 array, got "
                         f"{getattr(arr, 'dtype', type(arr).__name__)} {getattr(arr, 'shape', '')}")
    if contiguous and not arr.flags.c_contiguous:
        raise ValueError(f"qu8_lstm_steps: {name} must be C-contiguous")
    if not arr.flags.aligned:
        raise ValueError(f"qu8_lstm_steps: {name} is not 4-byte aligned")


def _strides(arr, name, inner):
    """Float strides of the two leading axes of a 3-D array whose last axis is contiguous
    (and, with `inner`, whose last two axes are one contiguous block)."""
    t, b, n = arr.shape
    s0, s1, s2 = (s // 4 if s % 4 == 0 else -1 for s in arr.strides)
    if n > 1 and s2 != 1:
        raise ValueError(f"qu8_lstm_steps: {name}'s last axis must be contiguous, got strides {arr.strides}")
    if b > 1 and (s1 < n if not inner else s1 != n):
        raise ValueError(f"qu8_lstm_steps: {name}'s rows must be {'contiguous' if inner else 'apart'}, "
                         f"got strides {arr.strides}")
    row = s1 if b > 1 else n
    if t > 1 and s0 < b * row:
        raise ValueError(f"qu8_lstm_steps: {name}'s steps overlap or run backwards, got strides {arr.strides}")
    return (s0 if t > 1 else b * row), row


def _box(arr, step, row):
    """[first byte, last byte + 1) of a 3-D float32 array with these float strides."""
    t, b, n = arr.shape
    p = arr.ctypes.data
    return p, p + 4 * ((t - 1) * step + (b - 1) * row + n)


def bind_qu8_lstm_steps(xw, packed_r, h0, c, y, reverse=False):
    _f32(xw, "xw", 3, contiguous=False)
    _f32(y, "y", 3, contiguous=False)
    _f32(h0, "h0", 2)
    _f32(c, "c", 2)
    steps, batch, hidden = y.shape
    if hidden < 1 or batch < 1 or steps < 1:
        raise ValueError(f"qu8_lstm_steps: y {y.shape} must have no empty axis")
    if xw.shape != (steps, batch, 4 * hidden) or h0.shape != (batch, hidden) or c.shape != (batch, hidden):
        raise ValueError(f"qu8_lstm_steps: xw {xw.shape} must be [T, batch, 4 * hidden], h0 {h0.shape} and "
                         f"c {c.shape} [batch, hidden], for y {y.shape} [T, batch, hidden]")
    kk8 = (hidden + 7) & ~7
    panels = (4 * hidden + 7) // 8
    if not isinstance(packed_r, np.ndarray) or packed_r.dtype != _I16 or not packed_r.flags.c_contiguous or \
            packed_r.shape != (panels, _HEADER + 8 * kk8):
        raise ValueError(f"qu8_lstm_steps: packed_r must be the int16 array pack_qu8_gemm made for R "
                         f"[{hidden}, {4 * hidden}], got {getattr(packed_r, 'dtype', type(packed_r).__name__)} "
                         f"{getattr(packed_r, 'shape', '')}")
    x_step, x_row = _strides(xw, "xw", False)
    y_step, _ = _strides(y, "y", True)
    if max(x_step, y_step) * steps >= _INT32_LIMIT or batch * 4 * hidden >= _INT32_LIMIT // 8:
        raise ValueError(f"qu8_lstm_steps: xw {xw.shape} / y {y.shape} too large for the kernel")
    xw_box, y_box = _box(xw, x_step, x_row), _box(y, y_step, hidden)
    ins = (("xw", xw_box), ("h0", (h0.ctypes.data, h0.ctypes.data + h0.nbytes)),
           ("packed_r", (packed_r.ctypes.data, packed_r.ctypes.data + packed_r.nbytes)))
    for name, arr, box in (("y", y, y_box), ("c", c, (c.ctypes.data, c.ctypes.data + c.nbytes))):
        try:
            _check_out(arr, box, ins)
        except ValueError as e:
            raise ValueError(f"qu8_lstm_steps: {name}: {e}") from None
        ins += ((name, box),)
    qh, hr = np.empty(batch * hidden, np.uint8), np.empty(batch * 4 * hidden, np.float32)
    scratch = np.empty(batch * kk8, np.int16)
    f = _func("qu8s8_lstm_steps__wasmsimd")
    args = (steps, batch, hidden, xw.ctypes.data, x_step, x_row, packed_r.ctypes.data, h0.ctypes.data,
            c.ctypes.data, y.ctypes.data, y_step, int(bool(reverse)), qh.ctypes.data, hr.ctypes.data,
            scratch.ctypes.data)
    return _bound([(f, args)], (xw, packed_r, h0, c, y, qh, hr, scratch))
