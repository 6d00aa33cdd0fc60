from .base import Op, register
from ._norm import stash_dtype, standardize


@register("LayerNormalization", since=17)
class LayerNormalization(Op):
    """Normalise over axes [axis, rank); optional outputs Mean and
    InvStdDev keep the reduced axes as 1 and use the stash_type precision."""
    def run(self, x, scale, bias=None):
        axis = int(self.attr("axis", -1)) % x.ndim
        stash = stash_dtype(self, x)
        y, mean, inv_std = standardize(x.astype(stash, copy=False), tuple(range(axis, x.ndim)),
                                       float(self.attr("epsilon", 1e-5)))
        y = y * scale.astype(stash)
        if bias is not None:
            y = y + bias.astype(stash)
        return (y.astype(x.dtype), mean, inv_std)
