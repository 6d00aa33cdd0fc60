import numpy as np

from ._indexing import normalize
from .base import Op, register


@register("ArrayFeatureExtractor", since=1, domain="ai.onnx.ml")
class ArrayFeatureExtractor(Op):
    """Selects columns (last axis) of X by index; a 1-D X is treated as one
    row, so the output is (1, len(indices)), as onnxruntime does."""
    handles_exotic = True  # moves or decodes elements itself: no float32 round trip

    def run(self, x, indices):
        what = f"node {self.node.name!r} (ArrayFeatureExtractor)"
        idx = normalize(indices.reshape(-1), x.shape[-1], what)
        if x.ndim == 1:
            return (x[idx].reshape(1, -1),)
        return (np.take(x, idx, axis=-1),)
