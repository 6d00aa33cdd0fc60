from ..errors import ModelError
from .base import Op, register


@register("OptionalGetElement", since=15)
class OptionalGetElement(Op):
    """Opset 18 also accepts a plain tensor or sequence (returned as is)."""

    def run(self, x):
        if x is None:
            raise ModelError(f"OptionalGetElement {self.node.name!r}: the optional is empty")
        return (x,)
