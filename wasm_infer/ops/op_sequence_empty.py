from .base import Op, register


@register("SequenceEmpty", since=11)
class SequenceEmpty(Op):
    def run(self):
        return ([],)
