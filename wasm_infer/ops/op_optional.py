from .base import Op, register


@register("Optional", since=15)
class Optional(Op):
    """An optional holding the input, or an empty one (None) without input."""

    def run(self, x=None):
        return (x,)
