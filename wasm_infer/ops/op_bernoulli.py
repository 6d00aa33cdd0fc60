from .. import dtypes
from ._random import generator, out_dtype
from .base import Op, register


@register("Bernoulli", since=15)
class Bernoulli(Op):
    """1 with the probability given by each input element, else 0."""
    deterministic = False

    def init(self):
        self.rng = generator(self)

    def run(self, p):
        return (dtypes.cast(self.rng.random(p.shape) < p, out_dtype(self, p)),)
