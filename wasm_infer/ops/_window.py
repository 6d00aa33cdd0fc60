"""The window-generating ops: a cosine sum sampled at n / N, where N is the
size (periodic=1, for spectral analysis) or size - 1 (symmetric)."""
import numpy as np

from .. import dtypes
from ..limits import check_output
from .base import Op


class CosineWindow(Op):
    coefficients = ()    # a0, a1, a2...: w[n] = sum_k (-1)^k a_k cos(2 pi k n / N)

    def run(self, size):
        size = int(np.asarray(size).reshape(-1)[0])
        check_output(self, (size,), 8)      # computed in float64
        denom = size if self.attr("periodic", 1) else size - 1
        n = np.arange(size, dtype=np.float64)
        w = np.zeros(size) if denom else np.ones(size)   # a symmetric window of one sample is [1]
        for k, a in enumerate(self.coefficients if denom else ()):
            w += (-1) ** k * a * np.cos(2 * np.pi * k * n / denom)
        return (dtypes.cast(w, int(self.attr("output_datatype", dtypes.FLOAT))),)
