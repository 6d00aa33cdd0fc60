import numpy as np

from ._optimizer import grouped, regroup
from .base import Op, register


@register("Adagrad", since=1, domain="ai.onnx.preview.training")
class Adagrad(Op):
    """One ADAGRAD step for each (X, G, H): the learning rate decays as
    R / (1 + T * decay_factor); G gains the L2 term norm_coefficient * X."""

    def run(self, *args):
        decay, eps = self.attr("decay_factor", 0.0), self.attr("epsilon", 0.0)
        norm = self.attr("norm_coefficient", 0.0)
        r, t, tensors = grouped(self, args, 3)
        rate = r / (1 + t * decay)
        results = []
        for x, g, h in tensors:
            g = norm * x + g
            h_new = h + g * g
            x_new = x - rate * g / (np.sqrt(h_new) + eps)
            results.append((x_new.astype(x.dtype), h_new.astype(h.dtype)))
        return regroup(results)
