import numpy as np

from .. import dtypes
from ..limits import check_output
from .base import Op, register


def _scalar(v):
    return np.asarray(v).reshape(-1)[0]


@register("MelWeightMatrix", since=17)
class MelWeightMatrix(Op):
    """(dft_length // 2 + 1, num_mel_bins) triangular filters with peak 1.
    num_mel_bins + 2 edges are spaced evenly on the mel scale
    (2595 log10(1 + f / 700)) and snapped down to DFT bins
    floor((dft_length + 1) * f / sample_rate), as the reference and
    onnxruntime do."""
    def run(self, num_mel_bins, dft_length, sample_rate, lower_hz, upper_hz):
        bins, n_fft = int(_scalar(num_mel_bins)), int(_scalar(dft_length))
        check_output(self, (n_fft // 2 + 1, bins + 2), 8)     # computed in float64 (edges included)
        rate = _scalar(sample_rate)
        lo = 2595 * np.log10(1 + float(_scalar(lower_hz)) / 700)
        hi = 2595 * np.log10(1 + float(_scalar(upper_hz)) / 700)
        # The step divides by bins + 2 (not + 1), as onnx.reference and onnxruntime do.
        mels = lo + np.arange(bins + 2) * ((hi - lo) / (bins + 2))
        hz = 700 * (10 ** (mels / 2595) - 1)
        edges = np.floor((n_fft + 1) * hz / float(rate)).astype(np.int64)
        j = np.arange(n_fft // 2 + 1)[:, None]
        left, center, right = edges[None, :-2], edges[None, 1:-1], edges[None, 2:]
        rising = (j - left) / np.maximum(center - left, 1)
        falling = (right - j) / np.maximum(right - center, 1)
        out = np.where((j >= left) & (j <= center), np.where(center == left, (j == center) * 1.0, rising), 0.0)
        out = np.where((j >= center) & (j < right), falling, out)
        return (dtypes.cast(out, int(self.attr("output_datatype", dtypes.FLOAT))),)
