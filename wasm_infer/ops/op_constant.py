import numpy as np

from ..errors import ModelError
from .base import Op, register

_SCALARS = {"value_float": np.float32, "value_int": np.int64, "value_string": object}
_LISTS = {"value_floats": np.float32, "value_ints": np.int64, "value_strings": object}


@register("Constant", since=1)
class Constant(Op):
    def init(self):
        attrs = self.node.attrs
        if "value" in attrs:
            self.value = attrs["value"]
        elif "sparse_value" in attrs:
            raise ModelError(f"node {self.node.name!r}: sparse Constant values are not supported")
        else:
            for name, dtype in {**_SCALARS, **_LISTS}.items():
                if name in attrs:
                    self.value = np.array(attrs[name], dtype=dtype)
                    break
            else:
                raise ModelError(f"node {self.node.name!r}: Constant has no value attribute")

    def run(self):
        return (self.value,)
