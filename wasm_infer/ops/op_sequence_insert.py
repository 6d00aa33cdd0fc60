from .base import Op, register
from ._sequence import position


@register("SequenceInsert", since=11)
class SequenceInsert(Op):
    def run(self, seq, tensor, pos=None):
        out = list(seq)
        out.insert(len(out) if pos is None else position(self, pos, len(out), insert=True), tensor)
        return (out,)
