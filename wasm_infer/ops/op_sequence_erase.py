from .base import Op, register
from ._sequence import position


@register("SequenceErase", since=11)
class SequenceErase(Op):
    def run(self, seq, pos=None):
        out = list(seq)
        del out[len(out) - 1 if pos is None else position(self, pos, len(out))]
        return (out,)
