from .base import Op, register
from ._norm import standardize
from ._precision import acc_dtype


@register("InstanceNormalization", since=1)
class InstanceNormalization(Op):
    """Normalise each (sample, channel) over its spatial axes."""
    def run(self, x, scale, bias):
        self.check_shape("scale", scale, (x.shape[1],))
        self.check_shape("B", bias, (x.shape[1],))
        acc = acc_dtype(x.dtype)
        y, _, _ = standardize(x.astype(acc, copy=False), tuple(range(2, x.ndim)), float(self.attr("epsilon", 1e-5)))
        shape = (1, -1) + (1,) * (x.ndim - 2)
        return ((y * scale.astype(acc).reshape(shape) + bias.astype(acc).reshape(shape)).astype(x.dtype),)
