import numpy as np

from .. import dtypes
from ..errors import InputError, UnsupportedError
from .base import Op, register


@register("BitCast", since=26)
class BitCast(Op):
    """Reinterprets the bits of each element as another type of the same
    width (bfloat16 and float8 included: their arrays hold the bit patterns)."""
    handles_exotic = True

    def init(self):
        self.to = self.required_attr("to")
        if self.to in dtypes.SUBBYTE_BITS or self.to == dtypes.STRING:
            raise UnsupportedError(f"node {self.node.name!r} (BitCast): cannot bit-cast to "
                                   f"{dtypes.NAMES.get(self.to, self.to)}")
        self.dtype = dtypes.to_numpy(self.to, f"node {self.node.name!r} (BitCast)")

    def run(self, x):
        src = dtypes.onnx_type(x.dtype)
        if src == dtypes.STRING or src in dtypes.SUBBYTE_BITS:
            raise InputError(f"node {self.node.name!r} (BitCast): {dtypes.NAMES.get(src)} "
                             "has no byte-sized bit pattern")
        if x.dtype.itemsize != self.dtype.itemsize:
            raise InputError(f"node {self.node.name!r} (BitCast): {dtypes.NAMES.get(src)} and "
                             f"{dtypes.NAMES[self.to]} differ in width")
        # view needs a contiguous buffer; the output keeps x's shape.
        return (np.ascontiguousarray(x).view(self.dtype).reshape(x.shape),)
