from .base import Op, register


@register("SequenceConstruct", since=11)
class SequenceConstruct(Op):
    def run(self, *tensors):
        return (list(tensors),)
