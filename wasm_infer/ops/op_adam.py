import numpy as np

from ._optimizer import grouped, regroup
from .base import Op, register


@register("Adam", since=1, domain="ai.onnx.preview.training")
class Adam(Op):
    """One Adam step for each (X, G, V, H): first and second moments V, H;
    bias correction of the rate when T > 0; L2 terms before (norm_coefficient)
    and after (norm_coefficient_post) the update."""

    def run(self, *args):
        alpha, beta = self.attr("alpha", 0.9), self.attr("beta", 0.999)
        eps = self.attr("epsilon", 0.0)
        norm, post = self.attr("norm_coefficient", 0.0), self.attr("norm_coefficient_post", 0.0)
        r, t, tensors = grouped(self, args, 4)
        rate = r * np.sqrt(1 - beta ** t) / (1 - alpha ** t) if t > 0 else r
        results = []
        for x, g, v, h in tensors:
            g = norm * x + g
            v_new = alpha * v + (1 - alpha) * g
            h_new = beta * h + (1 - beta) * g * g
            x_new = (1 - post) * (x - rate * v_new / (np.sqrt(h_new) + eps))
            results.append((x_new.astype(x.dtype), v_new.astype(v.dtype), h_new.astype(h.dtype)))
        return regroup(results)
