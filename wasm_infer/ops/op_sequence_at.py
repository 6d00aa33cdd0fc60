from .base import Op, register
from ._sequence import position


@register("SequenceAt", since=11)
class SequenceAt(Op):
    def run(self, seq, pos):
        return (seq[position(self, pos, len(seq))],)
