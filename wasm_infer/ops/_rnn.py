"""The loop shared by RNN, GRU and LSTM: attribute parsing (direction,
activations with their alpha/beta, clip, layout), sequence_lens masking,
reverse directions and the output layouts. Subclasses give the number of
gates, default activations and the per-step cell."""
import numpy as np

from ..errors import InputError
from ..limits import check_output, deadline_check
from .base import Op
from ._precision import acc_dtype


def _sigmoid(x):
    return 0.5 * (np.tanh(0.5 * x) + 1)   # no overflow warning for large |x|


# name -> (takes alpha, takes beta, default alpha, default beta, function(x, alpha, beta)).
# alpha/beta lists are consumed in order by the activations that take them.
# Defaults for missing values follow onnxruntime: 0 except LeakyRelu,
# HardSigmoid and Elu, whose usual constants it keeps.
ACTIVATIONS = {
    "relu": (0, 0, 0, 0, lambda x, a, b: np.maximum(x, 0)),
    "tanh": (0, 0, 0, 0, lambda x, a, b: np.tanh(x)),
    "sigmoid": (0, 0, 0, 0, lambda x, a, b: _sigmoid(x)),
    "affine": (1, 1, 0.0, 0.0, lambda x, a, b: a * x + b),
    "leakyrelu": (1, 0, 0.01, 0, lambda x, a, b: np.where(x >= 0, x, a * x)),
    "thresholdedrelu": (1, 0, 0.0, 0, lambda x, a, b: np.where(x > a, x, 0)),
    "scaledtanh": (1, 1, 0.0, 0.0, lambda x, a, b: a * np.tanh(b * x)),
    "hardsigmoid": (1, 1, 0.2, 0.5, lambda x, a, b: np.clip(a * x + b, 0, 1)),
    "elu": (1, 0, 1.0, 0, lambda x, a, b: np.where(x >= 0, x, a * (np.exp(np.minimum(x, 0)) - 1))),
    "softsign": (0, 0, 0, 0, lambda x, a, b: x / (1 + np.abs(x))),
    "softplus": (0, 0, 0, 0, lambda x, a, b: np.logaddexp(0, x)),
}


class Recurrent(Op):
    gates = 1
    default_activations = ("Tanh",)
    n_states = 1          # hidden (and cell for LSTM)

    def init(self):
        where = f"node {self.node.name!r} ({self.op_type})"
        self.direction = self.attr("direction", "forward")
        if self.direction not in ("forward", "reverse", "bidirectional"):
            raise InputError(f"{where}: unknown direction {self.direction!r}")
        self.dirs = 2 if self.direction == "bidirectional" else 1
        self.layout = int(self.attr("layout", 0))
        self.clip = self.attr("clip", None)
        names = list(self.attr("activations", None) or list(self.default_activations) * self.dirs)
        if len(names) == len(self.default_activations):
            names = names * self.dirs
        alphas = list(self.attr("activation_alpha", None) or [])
        betas = list(self.attr("activation_beta", None) or [])
        self.acts = []
        for name in names:
            spec = ACTIVATIONS.get(name.lower())
            if spec is None:
                raise InputError(f"{where}: unknown activation {name!r}")
            takes_a, takes_b, a, b, fn = spec
            if takes_a and alphas:
                a = alphas.pop(0)
            if takes_b and betas:
                b = betas.pop(0)
            self.acts.append(lambda x, fn=fn, a=a, b=b: fn(x, a, b))

    def gate_input(self, v):
        """Pre-activation values, clipped to [-clip, clip] when `clip` is set."""
        return v if self.clip is None else np.clip(v, -self.clip, self.clip)

    def input_gates(self, d, xd, w):
        """x_t @ W^T for every step of direction d at once (a quantized op overrides it)."""
        return xd @ w[d].T

    def cell(self, d, xw, states, r, rb, extra):
        """One step of direction d: xw = x_t @ W^T + Wb (B, gates*H);
        returns the new states tuple (hidden first)."""
        raise NotImplementedError

    def _check_shapes(self, x, w, r, b, seq_lens, initial):
        """Each input's shape against X's and R's, as onnxruntime checks them: InputError naming
        the input, not a NumPy error from inside the loop. x: [T, B, I] (layout already undone)."""
        where = f"node {self.node.name!r} ({self.op_type})"
        if x.ndim != 3 or r.ndim != 3:
            raise InputError(f"{where}: X and R must have rank 3, got shapes {list(x.shape)} and {list(r.shape)}")
        _, batch, inputs = x.shape
        hidden = r.shape[-1]
        declared = self.attr("hidden_size", None)
        if declared is not None and declared != hidden:
            raise InputError(f"{where}: R has shape {list(r.shape)}, its last axis must be hidden_size = {declared}")
        gh = self.gates * hidden
        want = {"W": (w, (self.dirs, gh, inputs)), "R": (r, (self.dirs, gh, hidden)),
                "B": (b, (self.dirs, 2 * gh)), "sequence_lens": (seq_lens, (batch,))}
        for i, state in enumerate(initial):
            want[("initial_h", "initial_c")[i]] = (state, (batch, self.dirs, hidden) if self.layout
                                                   else (self.dirs, batch, hidden))
        for name, (value, shape) in want.items():
            if value is not None and tuple(np.shape(value)) != shape:
                raise InputError(f"{where}: {name} has shape {list(np.shape(value))}, expected {list(shape)} "
                                 f"(from X {list(x.shape)}, R {list(r.shape)} and {self.dirs} direction(s))")

    def run(self, x, w, r, b=None, seq_lens=None, *initial_and_extra):
        dtype = x.dtype
        acc = acc_dtype(dtype)
        if self.layout:
            x = np.swapaxes(x, 0, 1)          # -> (T, B, I)
        self._check_shapes(x, w, r, b, seq_lens, initial_and_extra[:self.n_states])
        steps, batch = x.shape[:2]
        hidden = r.shape[-1]
        g = self.gates
        # The output grows with the hidden size, not with X: a long X of one feature and an R of
        # 1 MiB make hidden-times X. Checked before allocating, with the input gates of all steps
        # (gates times the output of one direction), the largest array made.
        check_output(self, (steps, batch, g * hidden), np.dtype(acc).itemsize)
        check_output(self, (steps, self.dirs, batch, hidden), np.dtype(acc).itemsize)
        x, w, r = (a.astype(acc, copy=False) for a in (x, w, r))
        b = np.zeros((self.dirs, 2 * g * hidden), acc) if b is None else b.astype(acc, copy=False)
        initial = list(initial_and_extra[:self.n_states])
        extra = initial_and_extra[self.n_states:]
        initial += [None] * (self.n_states - len(initial))
        lens = (np.full(batch, steps, np.int64) if seq_lens is None else seq_lens.astype(np.int64))
        t_idx = np.arange(steps)[:, None]
        valid = t_idx < lens[None, :]                            # (T, B)
        # Reversed order within each sequence's own length; padding stays put.
        rev = np.where(valid, lens[None, :] - 1 - t_idx, t_idx).astype(np.intp)
        b_idx = np.arange(batch, dtype=np.intp)[None, :]
        y = np.zeros((steps, self.dirs, batch, hidden), acc)
        tick = deadline_check(self)
        finals = [np.zeros((self.dirs, batch, hidden), acc) for _ in range(self.n_states)]
        for d in range(self.dirs):
            backward = self.direction == "reverse" or d == 1
            xd = x[rev, b_idx] if backward else x
            xw = self.input_gates(d, xd, w) + b[d, :g * hidden]
            states = tuple(np.zeros((batch, hidden), acc) if s is None else
                           (np.swapaxes(s, 0, 1) if self.layout else s)[d].astype(acc) for s in initial)
            for t in range(steps):
                tick()
                new = self.cell(d, xw[t], states, r[d], b[d, g * hidden:], extra)
                m = valid[t][:, None]
                states = tuple(np.where(m, n, s) for n, s in zip(new, states))
                y[t, d] = np.where(m, states[0], 0)
            for i, s in enumerate(states):
                finals[i][d] = s
            if backward:
                y[:, d] = y[rev, d, b_idx]
        if self.layout:
            y = y.transpose(2, 0, 1, 3)                           # (B, T, D, H)
            finals = [np.swapaxes(f, 0, 1) for f in finals]
        return tuple(a.astype(dtype) for a in (y, *finals))
