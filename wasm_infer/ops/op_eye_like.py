import numpy as np

from .. import dtypes
from .base import Op, register


@register("EyeLike", since=9)
class EyeLike(Op):
    """Ones on diagonal k of a 2-D tensor shaped like the input; dtype
    attribute, else the input's type."""
    def init(self):
        self.k = self.attr("k", 0)
        dtype = self.attr("dtype")
        self.dtype = None if dtype is None else dtypes.to_numpy(dtype, f"node {self.node.name!r} (EyeLike)")

    def run(self, x):
        rows, cols = x.shape
        dtype = self.dtype or x.dtype
        if dtypes.is_exotic(dtype):  # np.eye cannot fill bit-pattern types itself
            return (dtypes.cast(np.eye(rows, cols, k=self.k, dtype=np.float32), dtypes.onnx_type(dtype)),)
        return (np.eye(rows, cols, k=self.k, dtype=dtype),)
