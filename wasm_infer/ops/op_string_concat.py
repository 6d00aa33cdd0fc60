import numpy as np

from .base import Op, register

_concat = np.frompyfunc(lambda a, b: a + b, 2, 1)


@register("StringConcat", since=20)
class StringConcat(Op):
    """Broadcast elementwise concatenation of two string tensors."""
    def run(self, a, b):
        return (np.asarray(_concat(a, b), dtype=object),)
