import numpy as np

from .base import Op, register
from ._linear_regex import LinearRegex


@register("RegexFullMatch", since=20)
class RegexFullMatch(Op):
    """Whether each whole string matches `pattern` (RE2 syntax), in time linear
    in the string (_linear_regex: Python's backtracking re can take
    exponential time on a crafted pattern and string)."""
    def init(self):
        regex = LinearRegex(self.required_attr("pattern"))
        self.match = np.frompyfunc(lambda s: regex.fullmatch(s), 1, 1)

    def run(self, x):
        return (np.asarray(self.match(x), dtype=np.bool_),)
