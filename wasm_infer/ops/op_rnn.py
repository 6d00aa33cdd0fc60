from .base import register
from ._rnn import Recurrent


@register("RNN", since=1)
class RNN(Recurrent):
    """H_t = f(X_t W^T + H_{t-1} R^T + Wb + Rb)."""
    gates = 1
    default_activations = ("Tanh",)

    def cell(self, d, xw, states, r, rb, extra):
        return (self.acts[d](self.gate_input(xw + states[0] @ r.T + rb)),)
