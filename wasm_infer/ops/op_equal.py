from .base import register
from ._elementwise import Compare


@register("Equal", since=1)
class Equal(Compare):
    """`==` rather than np.equal: string (object) tensors compare too (opset 19)."""
    fn = staticmethod(lambda a, b: a == b)
