import numpy as np

from ..limits import check_output
from .base import Op, register


@register("StringSplit", since=20)
class StringSplit(Op):
    """Splits each string on `delimiter` (on runs of whitespace when it is
    absent or empty, dropping empty pieces), at most `maxsplit` times.
    Outputs the pieces padded with "" to the longest count along a new last
    axis, and the int64 count per string."""
    def init(self):
        self.sep = self.attr("delimiter") or None
        self.maxsplit = self.attr("maxsplit", -1)

    def run(self, x):
        parts = [s.split(self.sep, self.maxsplit) for s in x.reshape(-1)]
        counts = np.array([len(p) for p in parts], dtype=np.int64).reshape(x.shape)
        width = max((len(p) for p in parts), default=0)
        # padded to the longest: one string of n words among n empty ones asks for n * n
        check_output(self, (len(parts), width), np.dtype(object).itemsize)
        out = np.full((len(parts), width), "", dtype=object)
        for i, p in enumerate(parts):
            out[i, :len(p)] = p
        return out.reshape(x.shape + (width,)), counts
