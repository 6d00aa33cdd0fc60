import numpy as np

from ..errors import InputError, ModelError
from .base import Op, register


@register("CategoryMapper", since=1, domain="ai.onnx.ml")
class CategoryMapper(Op):
    """Strings to int64 and int64 to strings through two parallel lists
    (cats_strings[i] <-> cats_int64s[i]); which way depends on the input's
    type. Unknown values map to default_int64 (-1) or default_string
    ("_Unused"). A key listed twice maps to its last pair, as in onnxruntime."""

    def init(self):
        strings, ints = list(self.attr("cats_strings", [])), list(self.attr("cats_int64s", []))
        if len(strings) != len(ints):
            raise ModelError(f"node {self.node.name!r} (CategoryMapper): cats_strings has {len(strings)} values "
                             f"and cats_int64s {len(ints)}; they must pair up")
        self.to_int = dict(zip(strings, ints))
        self.to_str = dict(zip(ints, strings))
        self.default_int, self.default_str = self.attr("default_int64", -1), self.attr("default_string", "_Unused")

    def run(self, x):
        if x.dtype == object:
            table, default = self.to_int, self.default_int
            return (np.fromiter((table.get(v, default) for v in x.reshape(-1).tolist()), np.int64,
                                x.size).reshape(x.shape),)
        if x.dtype != np.int64:
            raise InputError(f"node {self.node.name!r} (CategoryMapper): input must be strings or int64, "
                             f"got {x.dtype}")
        table, default = self.to_str, self.default_str
        out = np.empty(x.shape, object)
        out.reshape(-1)[:] = [table.get(v, default) for v in x.reshape(-1).tolist()]
        return (out,)
