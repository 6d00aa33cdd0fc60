import numpy as np

from .base import register
from ._elementwise import Binary


@register("BitShift", since=11)
class BitShift(Binary):
    """Shifts by a negative amount or by >= the bit width give what the sign
    fill alone gives (-1 for a right shift of a negative value, else 0), as
    opset 28 spells out; earlier opsets only allow unsigned types."""
    def init(self):
        self.left = self.required_attr("direction") == "LEFT"

    def compute(self, a, b):
        a, b = np.broadcast_arrays(a, b)
        bits = a.dtype.itemsize * 8
        wide = (b < 0) | (b >= bits)
        amount = np.where(wide, 0, b).astype(a.dtype)
        if self.left:
            # Shift the unsigned view so bits pass the sign bit without overflow checks.
            unsigned = np.dtype(f"u{a.dtype.itemsize}")
            out = np.left_shift(a.view(unsigned), amount.astype(unsigned)).view(a.dtype)
            return np.where(wide, 0, out)
        out = np.right_shift(a, amount)
        fill = np.where(a < 0, -1, 0) if np.issubdtype(a.dtype, np.signedinteger) else 0
        return np.where(wide, fill, out)
