from ._optimizer import grouped, regroup
from .base import Op, register


@register("Momentum", since=1, domain="ai.onnx.preview.training")
class Momentum(Op):
    """One SGD-with-momentum step for each (X, G, V), "standard" or
    "nesterov"; the gradient's coefficient is 1 on the first step (T = 0)."""

    def init(self):
        self.alpha = self.required_attr("alpha")
        self.beta = self.required_attr("beta")
        self.norm = self.required_attr("norm_coefficient")
        self.nesterov = self.required_attr("mode") == "nesterov"

    def run(self, *args):
        r, t, tensors = grouped(self, args, 3)
        beta = self.beta if t > 0 else 1.0
        results = []
        for x, g, v in tensors:
            g = self.norm * x + g
            v_new = self.alpha * v + beta * g
            x_new = x - r * (g + self.alpha * v_new if self.nesterov else v_new)
            results.append((x_new.astype(x.dtype), v_new.astype(v.dtype)))
        return regroup(results)
