import numpy as np

from .base import Op, register


def _key(v):
    """Dictionary key of a value: NaN keys must match NaN inputs."""
    return "\0nan" if isinstance(v, float) and v != v else v


@register("LabelEncoder", since=2, domain="ai.onnx.ml")
class LabelEncoder(Op):
    """Maps each input value through keys -> values (string, int64, float
    lists, or tensors from opset 4); unknown keys map to the default."""

    def init(self):
        a = self.attr
        keys = next((k for k in (a("keys_strings"), a("keys_int64s"), a("keys_floats")) if k), None)
        if keys is None:
            keys = a("keys_tensor").reshape(-1).tolist()
        for name, default_name, dtype, default in (
                ("values_strings", "default_string", object, "_Unused"),
                ("values_int64s", "default_int64", np.int64, -1),
                ("values_floats", "default_float", np.float32, -0.0)):
            if a(name):
                values, self.dtype, self.default = list(a(name)), np.dtype(dtype), a(default_name, default)
                break
        else:
            tensor = a("values_tensor")
            values, self.dtype = tensor.reshape(-1).tolist(), tensor.dtype
            self.default = {"O": "_Unused", "f": -0.0}.get(self.dtype.kind, -1)
        if a("default_tensor") is not None:
            self.default = a("default_tensor").reshape(-1)[0]
        self.table = {_key(k): v for k, v in zip(keys, values)}

    def run(self, x):
        flat = [self.table.get(_key(v), self.default) for v in x.reshape(-1).tolist()]
        return (np.array(flat, dtype=self.dtype).reshape(x.shape),)
