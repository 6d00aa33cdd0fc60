import re

import numpy as np

from .base import Op, register


@register("RegexFullMatch", since=20)
class RegexFullMatch(Op):
    """Whether each whole string matches `pattern` (RE2 syntax; Python's re
    accepts the RE2 patterns models use in practice)."""
    def init(self):
        regex = re.compile(self.required_attr("pattern"))
        self.match = np.frompyfunc(lambda s: regex.fullmatch(s) is not None, 1, 1)

    def run(self, x):
        return (np.asarray(self.match(x), dtype=np.bool_),)
