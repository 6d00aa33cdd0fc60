import numpy as np

from ..errors import InputError, ModelError
from .base import Op, register


@register("DictVectorizer", since=1, domain="ai.onnx.ml")
class DictVectorizer(Op):
    """A map as one row [1, len(vocabulary)] of its values, in the vocabulary's
    order (string_vocabulary or int64_vocabulary); keys the vocabulary lacks
    are dropped, words the map lacks are 0. A word listed twice gets the value
    at each of its places, as in onnxruntime. The row has the map's declared
    value type: scikit-learn's DictVectorizer."""

    def init(self):
        strings, ints = list(self.attr("string_vocabulary", [])), list(self.attr("int64_vocabulary", []))
        if bool(strings) == bool(ints):
            raise ModelError(f"node {self.node.name!r} (DictVectorizer): needs one of string_vocabulary and "
                             "int64_vocabulary, not both or neither")
        self.size = len(strings or ints)
        self.places = {}
        for i, word in enumerate(strings or ints):
            self.places.setdefault(word, []).append(i)

    def run(self, m):
        if not isinstance(m, dict):
            raise InputError(f"node {self.node.name!r} (DictVectorizer): its input must be a map (a dict), "
                             f"got {type(m).__name__}")
        out = np.zeros((1, self.size), getattr(m, "dtype", np.dtype(np.float32)))
        for key, value in m.items():
            for i in self.places.get(key, ()):
                out[0, i] = value
        return (out,)
