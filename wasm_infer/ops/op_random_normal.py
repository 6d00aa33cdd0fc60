from .. import dtypes
from ._random import generator, out_dtype
from ..limits import check_output
from .base import Op, register


@register("RandomNormal", since=1)
class RandomNormal(Op):
    deterministic = False

    def init(self):
        self.rng = generator(self)
        self.shape = [int(d) for d in self.required_attr("shape")]
        self.to = out_dtype(self)

    def run(self):
        check_output(self, self.shape, 8)       # the shape attribute can ask for any size; drawn in float64
        x = self.rng.normal(self.attr("mean", 0.0), self.attr("scale", 1.0), self.shape)
        return (dtypes.cast(x, self.to),)
