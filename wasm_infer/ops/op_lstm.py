import numpy as np

from .base import register
from ._rnn import Recurrent


@register("LSTM", since=1)
class LSTM(Recurrent):
    """Gates in i, o, f, c order; optional peepholes P (i, o, f) look at the
    cell state; input_forget=1 couples the forget gate to 1 - input gate.
    Inputs after sequence_lens: initial_h, initial_c, P."""
    gates = 4
    default_activations = ("Sigmoid", "Tanh", "Tanh")
    n_states = 2

    def init(self):
        super().init()
        self.input_forget = bool(self.attr("input_forget", 0))

    def recurrent_gates(self, d, h, r):
        """h @ R^T of direction d (a quantized op overrides it)."""
        return h @ r.T

    def cell(self, d, xw, states, r, rb, extra):
        h, c = states
        f, g, act_h = self.acts[3 * d:3 * d + 3]
        n = h.shape[1]
        pre = xw + self.recurrent_gates(d, h, r) + rb
        p_i = p_o = p_f = 0
        if extra and extra[0] is not None:       # peepholes P: (dirs, 3H) in i, o, f order
            pd = extra[0][d].astype(h.dtype)
            p_i, p_o, p_f = pd[:n], pd[n:2 * n], pd[2 * n:]
        i = f(self.gate_input(pre[:, :n] + p_i * c))
        forget = 1 - i if self.input_forget else f(self.gate_input(pre[:, 2 * n:3 * n] + p_f * c))
        cand = g(self.gate_input(pre[:, 3 * n:]))
        c_new = forget * c + i * cand
        o = f(self.gate_input(pre[:, n:2 * n] + p_o * c_new))
        return (o * act_h(c_new), np.asarray(c_new))
