import numpy as np

from ..errors import ModelError
from .base import Op, register

_KINDS = {"value_float": np.float32, "value_int": np.int64, "value_string": object,
          "value_floats": np.float32, "value_ints": np.int64, "value_strings": object}


@register("Constant", since=1)
class Constant(Op):
    handles_exotic = True  # exotic dtypes pass through or are converted here

    """value (tensor), sparse_value (densified by ir), or value_float(s) /
    value_int(s) / value_string(s)."""

    def init(self):
        attrs = self.node.attrs
        for name in ("value", "sparse_value"):
            if name in attrs:
                self.value = attrs[name]
                return
        for name, dtype in _KINDS.items():
            if name in attrs:
                self.value = np.array(attrs[name], dtype=dtype)
                return
        raise ModelError(f"node {self.node.name!r}: Constant has no value attribute")

    def run(self):
        return (self.value,)
