from .base import Op, register


@register("Binarizer", since=1, domain="ai.onnx.ml")
class Binarizer(Op):
    """1 where x > threshold, else 0, in x's type."""

    def run(self, x):
        return ((x > self.attr("threshold", 0.0)).astype(x.dtype),)
