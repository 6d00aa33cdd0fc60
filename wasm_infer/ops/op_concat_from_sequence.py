import numpy as np

from .base import Op, register


@register("ConcatFromSequence", since=11)
class ConcatFromSequence(Op):
    def init(self):
        self.axis = self.required_attr("axis")
        self.new_axis = self.attr("new_axis", 0)

    def run(self, seq):
        if self.new_axis:
            rank = seq[0].ndim + 1
            return (np.stack(seq, axis=self.axis + rank if self.axis < 0 else self.axis),)
        return (np.concatenate(seq, axis=self.axis),)
