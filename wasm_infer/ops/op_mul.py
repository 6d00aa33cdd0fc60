import numpy as np

from .base import Op, register
from ._elementwise import same_dtype


@register("Mul", since=7)
class Mul(Op):
    def run(self, a, b):
        return (same_dtype(np.asarray(a * b), a),)
