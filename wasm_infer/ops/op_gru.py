from .base import register
from ._rnn import Recurrent


@register("GRU", since=1)
class GRU(Recurrent):
    """Gates in z, r, h order. linear_before_reset=1 applies the reset gate
    after the recurrent matmul (cuDNN style) instead of before it."""
    gates = 3
    default_activations = ("Sigmoid", "Tanh")

    def init(self):
        super().init()
        self.linear_before_reset = bool(self.attr("linear_before_reset", 0))

    def cell(self, d, xw, states, r, rb, extra):
        (h,) = states
        f, g = self.acts[2 * d], self.acts[2 * d + 1]
        n = h.shape[1]
        rz, rr, rh = r[:n], r[n:2 * n], r[2 * n:]
        bz, br, bh = rb[:n], rb[n:2 * n], rb[2 * n:]
        z = f(self.gate_input(xw[:, :n] + h @ rz.T + bz))
        reset = f(self.gate_input(xw[:, n:2 * n] + h @ rr.T + br))
        if self.linear_before_reset:
            cand = xw[:, 2 * n:] + reset * (h @ rh.T + bh)
        else:
            cand = xw[:, 2 * n:] + (reset * h) @ rh.T + bh
        cand = g(self.gate_input(cand))
        return ((1 - z) * cand + z * h,)
