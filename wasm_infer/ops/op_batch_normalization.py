import numpy as np

from .base import Op, register


@register("BatchNormalization", since=9)
class BatchNormalization(Op):
    """Inference mode: y = (x - mean) / sqrt(var + eps) * scale + bias."""
    def run(self, x, scale, bias, mean, var):
        shape = (1, -1) + (1,) * (x.ndim - 2)
        inv = scale / np.sqrt(var + self.attr("epsilon", 1e-5))
        y = (x - mean.reshape(shape)) * inv.reshape(shape) + bias.reshape(shape)
        return (y.astype(x.dtype),)
