import numpy as np

from ._indexing import normalize
from ..limits import check_output
from .base import Op, register


@register("ArrayFeatureExtractor", since=1, domain="ai.onnx.ml")
class ArrayFeatureExtractor(Op):
    """Selects columns (last axis) of X by index; a 1-D X is treated as one
    row, so the output is (1, len(indices)), as onnxruntime does."""
    handles_exotic = True  # moves or decodes elements itself: no float32 round trip

    def run(self, x, indices):
        what = f"node {self.node.name!r} (ArrayFeatureExtractor)"
        idx = normalize(indices.reshape(-1), x.shape[-1], what)
        if idx.size > x.shape[-1]:      # repeated indices: a gather that outgrows x
            check_output(self, (*x.shape[:-1], idx.size), x.dtype.itemsize)
        if x.ndim == 1:
            return (x[idx].reshape(1, -1),)
        return (np.take(x, idx, axis=-1),)
