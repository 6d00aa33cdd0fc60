import numpy as np

from .base import Op, register


@register("IsInf", since=10)
class IsInf(Op):
    def init(self):
        self.negative = self.attr("detect_negative", 1)
        self.positive = self.attr("detect_positive", 1)

    def run(self, x):
        inf = np.isinf(x)
        if not self.negative:
            inf &= x > 0
        if not self.positive:
            inf &= x < 0
        return (inf,)
