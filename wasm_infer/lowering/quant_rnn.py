"""onnxruntime's com.microsoft DynamicQuantizeLSTM on kernels, in the
arithmetic of ops/op_dynamic_quantize_lstm.py: X quantized once
(qu8_vquantize_dynamic) and multiplied by every direction's W at once
(qu8s8_gemm_4x8c2, Wb in its epilogue), then each direction's recurrence in
one kernel call (qu8s8_lstm_steps: per step h quantized, its product with
R, the cell). Weights, scales, zero points and biases must be constants:
packed once per node. Forward, reverse and bidirectional; layout 0, default
activations, no clip, input_forget, peepholes or sequence_lens, else the
op's NumPy loop."""
import numpy as np

from ..limits import check_output
from ..ops._contrib_quant import CONTRIB_DOMAIN, input_index as given_input
from . import F32, Lowered, NotApplicable, cached, given, is_f32, lowering

_U8 = np.dtype(np.uint8)
_BYTES = (np.dtype(np.uint8), np.dtype(np.int8))
_DEFAULT_ACTS = ["sigmoid", "tanh", "tanh"]


def _columns(v, dirs, n):
    """A per-direction ([D]) or per-column ([D, n]) parameter as [D, n]."""
    v = np.asarray(v)
    return np.ascontiguousarray(np.broadcast_to(v.reshape(dirs, -1), (dirs, n)))


def _pack(k, op, dirs, hidden):
    """(packed W of all directions side by side [I, D * 4H] with Wb, [packed R of each direction with Rb])."""
    n = 4 * hidden
    w, r = np.asarray(op.constant(1)), np.asarray(op.constant(2))
    b = op.constant(3) if given_input(op, 3) else None
    b = np.zeros((dirs, 2 * n), np.float32) if b is None else np.asarray(b, np.float32).reshape(dirs, 2 * n)

    def params(scale_i, zero_i, dtype):
        scale = _columns(np.asarray(op.constant(scale_i), np.float32), dirs, n)
        zero = _columns(op.constant(zero_i), dirs, n).astype(dtype) if given_input(op, zero_i) else None
        return scale, zero
    ws, wz = params(8, 9, w.dtype)
    rs, rz = params(10, 11, r.dtype)
    packed_w = k.pack_qu8_gemm(np.concatenate(list(w), axis=1), None if wz is None else wz.reshape(-1),
                               ws.reshape(-1), np.ascontiguousarray(b[:, :n]).reshape(-1))
    packed_r = [k.pack_qu8_gemm(r[d], None if rz is None else rz[d], rs[d], np.ascontiguousarray(b[d, n:]))
                for d in range(dirs)]
    return packed_w, packed_r


@lowering("DynamicQuantizeLSTM", domain=CONTRIB_DOMAIN, name="qu8 lstm")
def dynamic_quantize_lstm(op, specs, k):
    x = specs[0]
    if not is_f32(x, 3):
        return NotApplicable("needs float32 X [T, B, I]")
    dirs = op.dirs
    acts = [a.lower() for a in op.attr("activations", None) or _DEFAULT_ACTS * dirs]
    if op.layout or op.clip is not None or op.input_forget or acts not in (_DEFAULT_ACTS, _DEFAULT_ACTS * dirs):
        return NotApplicable("layout 0, default activations, no clip or input_forget only")
    if given(specs, 4) or given(specs, 7):
        return NotApplicable("sequence_lens or peepholes given")
    for i in (1, 2, 3, 8, 9, 10, 11):
        if given_input(op, i) and op.constant(i) is None:
            return NotApplicable(f"input {i} ({op.node.inputs[i]!r}) is not a constant: weights, scales, zero "
                                 "points and bias are packed once")
    if not (given_input(op, 8) and given_input(op, 10)):
        return NotApplicable("W_scale and R_scale are needed")
    steps, batch, inputs = x[0]
    hidden = int(op.attr("hidden_size", 0) or 0)
    w, r = np.asarray(op.constant(1)), np.asarray(op.constant(2))
    if w.dtype not in _BYTES or r.dtype not in _BYTES or w.shape != (dirs, inputs, 4 * hidden) or \
            r.shape != (dirs, hidden, 4 * hidden) or hidden < 1:
        return NotApplicable(f"W {w.dtype} {w.shape} / R {r.dtype} {r.shape} do not fit X {x[0]} and hidden {hidden}")
    for i in (5, 6):
        if given(specs, i) and (not is_f32(specs[i]) or tuple(specs[i][0]) != (dirs, batch, hidden)):
            return NotApplicable(f"input {i} must be float32 {[dirs, batch, hidden]}")
    named = [bool(n) for n in op.node.outputs]
    count = named.index(False) if False in named else len(named)
    if any(named[count:]):
        return NotApplicable("Y absent while Y_h or Y_c is asked for")
    shapes = [(steps, dirs, batch, hidden), (dirs, batch, hidden), (dirs, batch, hidden)][:max(count, 1)]
    packed_w, packed_r = cached(op, "qu8_lstm", lambda: _pack(k, op, dirs, hidden))
    n = dirs * 4 * hidden
    check_output(op, (steps, batch, n), 4)      # the input gates of every step, made at bind time
    reverse = [op.direction == "reverse" or d == 1 for d in range(dirs)]

    def bind(ins, outs):
        xa, y = ins[0], outs[0]
        yh = outs[1] if len(outs) > 1 else np.empty((dirs, batch, hidden), np.float32)
        yc = outs[2] if len(outs) > 2 else np.empty((dirs, batch, hidden), np.float32)
        qx, sx, zx = np.empty(xa.shape, _U8), np.empty((), np.float32), np.empty((), _U8)
        xw = np.empty((steps, batch, n), np.float32)
        h0 = ins[5] if given(specs, 5) else np.zeros((dirs, batch, hidden), np.float32)
        c0 = ins[6] if given(specs, 6) else None
        calls = [k.bind_qu8_quantize_dynamic(xa, qx, sx, zx),
                 k.bind_qu8_gemm(qx.reshape(steps * batch, inputs), sx, zx, packed_w,
                                 xw.reshape(steps * batch, n), inputs, n)]
        for d in range(dirs):
            calls.append(k.bind_qu8_lstm_steps(xw[:, :, d * 4 * hidden:(d + 1) * 4 * hidden], packed_r[d],
                                               h0[d], yc[d], y[:, d], reverse[d]))
        last = [y[0 if reverse[d] else steps - 1, d] for d in range(dirs)]

        def run():
            if c0 is None:
                yc.fill(0)
            else:
                np.copyto(yc, c0)
            for call in calls:
                call()
            for d in range(dirs):
                np.copyto(yh[d], last[d])
        run.keep = (qx, sx, zx, xw, h0, yh, yc, calls)
        return run
    return Lowered([(s, F32) for s in shapes], bind,
                   "qu8_vquantize_dynamic + qu8s8_gemm_4x8c2 + qu8s8_lstm_steps__wasmsimd")
