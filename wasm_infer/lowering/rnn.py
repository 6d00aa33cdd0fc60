"""LSTM on kernels: the input GEMM for every step at once (x @ W^T + Wb + Rb,
packed GEMM), then per step the recurrent GEMM (h @ R^T, packed GEMM) and
the cell (kernels_wasm/f32_lstm_cell__wasmsimd.c). For one direction
(forward or reverse), layout 0, the default activations, no clip,
input_forget, peepholes or sequence_lens; others run the op's NumPy loop."""
import numpy as np

from ..limits import check_output, deadline_check
from . import F32, Lowered, NotApplicable, cached, given, is_f32, lowering


def _pack(k, w, r, b, hidden):
    """(W^T with the summed biases, R^T), packed for the GEMM kernel."""
    bias = None if b is None else b[0, :4 * hidden] + b[0, 4 * hidden:]
    return k.pack_gemm(w[0], bias, trans_b=True), k.pack_gemm(r[0], None, trans_b=True)


@lowering("LSTM")
def lstm(op, specs, k):
    x, w, r = specs[0], specs[1], specs[2]
    if not (is_f32(x, 3) and is_f32(w, 3) and is_f32(r, 3)):
        return NotApplicable("needs float32 X [T, B, I], W, R")
    if op.dirs != 1 or op.layout or op.clip is not None or op.input_forget or \
            [a.lower() for a in op.attr("activations", None) or ["Sigmoid", "Tanh", "Tanh"]] != ["sigmoid", "tanh", "tanh"]:
        return NotApplicable("one direction, layout 0, default activations, no clip or input_forget only")
    if given(specs, 4) or given(specs, 7):
        return NotApplicable("sequence_lens or peepholes given")
    steps, batch, inputs = x[0]
    hidden = r[0][-1]
    if w[0] != (1, 4 * hidden, inputs) or r[0] != (1, 4 * hidden, hidden):
        return NotApplicable(f"W {w[0]} / R {r[0]} do not fit X {x[0]} and hidden {hidden}")
    if steps == 0:
        return NotApplicable("an empty sequence")
    check_output(op, (steps, batch, 4 * hidden), 4)     # the input gates of every step, made at bind time
    for i, shape in ((3, (1, 8 * hidden)), (5, (1, batch, hidden)), (6, (1, batch, hidden))):
        if given(specs, i) and (not is_f32(specs[i]) or tuple(specs[i][0]) != shape):
            return NotApplicable(f"input {i} must be float32 {list(shape)}")
    n_out = len(op.node.outputs)
    named = [bool(n) for n in op.node.outputs]
    count = named.index(False) if False in named else n_out
    if any(named[count:]):
        return NotApplicable("Y absent while Y_h or Y_c is asked for")
    shapes = [(steps, 1, batch, hidden), (1, batch, hidden), (1, batch, hidden)][:max(count, 1)]
    reverse = op.direction == "reverse"
    # Weights known at session creation are packed once; weights the memory
    # plan computed once for its signature (sliced and concatenated from
    # initializers, say) once per plan; weights computed by the run hold
    # their values only when it has computed them: packed again at each run.
    constant = all(op.constant(i) is not None for i in (1, 2, 3) if given(specs, i))
    if constant:
        packed = cached(op, "lstm", lambda: _pack(k, op.constant(1), op.constant(2),
                                                   op.constant(3) if given(specs, 3) else None, hidden))

    def bind(ins, outs):
        xa, wa, ra = ins[0], ins[1], ins[2]
        ba = ins[3] if given(specs, 3) else None
        if constant:
            pw, pr = packed
            repack = None
        elif all(i in low.static for i in (1, 2, 3) if given(specs, i)):   # fixed for the plan: packed now
            pw, pr = _pack(k, wa, ra, ba, hidden)
            repack = None
        else:
            pw, pr = (np.empty_like(p) for p in _pack(k, wa, ra, ba, hidden))     # the packed layout's shapes

            def repack():
                new_w, new_r = _pack(k, wa, ra, ba, hidden)
                np.copyto(pw, new_w)
                np.copyto(pr, new_r)
        y = outs[0]
        yh = outs[1] if len(outs) > 1 else np.empty((1, batch, hidden), np.float32)
        yc = outs[2] if len(outs) > 2 else np.empty((1, batch, hidden), np.float32)
        xw = np.empty((steps, batch, 4 * hidden), np.float32)
        h0 = ins[5][0] if given(specs, 5) else np.zeros((batch, hidden), np.float32)
        c0 = ins[6][0] if given(specs, 6) else None
        c = yc[0]
        gates = k.bind_gemm_packed(xa.reshape(steps * batch, inputs), pw, xw.reshape(steps * batch, 4 * hidden))
        recurrence = k.bind_lstm_steps(xw, pr, h0, c, y[:, 0], reverse)
        last = y[0 if reverse else steps - 1, 0]

        def run():
            if repack is not None:
                repack()
            if c0 is None:
                c.fill(0)
            else:
                np.copyto(c, c0)
            gates()
            recurrence(deadline_check(op))      # a long sequence stops at the run's deadline
            np.copyto(yh[0], last)
        run.keep = (xw, h0, yh, yc, pw, pr)
        return run
    low = Lowered([(s, F32) for s in shapes], bind, "f32_gemm_4x8 + f32_lstm_cell__wasmsimd")
    return low
