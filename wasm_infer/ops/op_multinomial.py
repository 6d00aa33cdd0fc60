import numpy as np

from .. import dtypes
from ._random import generator
from ..limits import check_output
from .base import Op, register


@register("Multinomial", since=7)
class Multinomial(Op):
    """`sample_size` class indices per batch row, drawn from the row's
    unnormalised log-probabilities."""
    deterministic = False

    def init(self):
        self.rng = generator(self)
        self.n = self.attr("sample_size", 1)
        self.to = self.attr("dtype", dtypes.INT32)

    def run(self, logits):
        # sample_size can be anything: the draws compare against every class's cumulative probability
        check_output(self, (logits.shape[0], self.n, logits.shape[1]), 8)
        logits = logits.astype(np.float64)
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        cdf = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
        u = self.rng.random((logits.shape[0], self.n))
        idx = np.minimum((u[:, :, None] > cdf[:, None, :]).sum(axis=2), logits.shape[1] - 1)
        return (dtypes.cast(idx, self.to),)
