"""Sequences are Python lists of arrays (a new list per op: values are
immutable once produced); optionals are the value itself, or None when empty."""
import numpy as np

from ..errors import ModelError


def position(op, pos, length, insert=False):
    """A sequence position from a scalar tensor, negative counting from the end."""
    p = int(np.asarray(pos).reshape(-1)[0])
    limit = length + 1 if insert else length
    if p < 0:
        p += length
    if not 0 <= p < limit:
        raise ModelError(f"{op.op_type} {op.node.name!r}: position {int(np.asarray(pos).reshape(-1)[0])} is "
                         f"out of range for a sequence of {length}")
    return p
