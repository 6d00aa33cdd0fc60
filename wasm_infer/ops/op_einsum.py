import numpy as np

from .base import Op, register
from ._elementwise import same_dtype


@register("Einsum", since=12)
class Einsum(Op):
    """np.einsum follows the same conventions (ellipsis, implicit output in
    ASCII order); ONNX allows spaces, NumPy does not."""
    def init(self):
        self.equation = self.required_attr("equation").replace(" ", "")

    def run(self, *xs):
        return (same_dtype(np.einsum(self.equation, *xs), xs[0]),)
