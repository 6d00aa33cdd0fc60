from .. import dtypes
from ._random import generator, out_dtype
from .base import Op, register


@register("RandomUniformLike", since=1)
class RandomUniformLike(Op):
    """Uniform samples in the shape of the input (its values are not read)."""
    deterministic = False
    handles_exotic = True

    def init(self):
        self.rng = generator(self)

    def run(self, like):
        x = self.rng.uniform(self.attr("low", 0.0), self.attr("high", 1.0), like.shape)
        return (dtypes.cast(x, out_dtype(self, like)),)
