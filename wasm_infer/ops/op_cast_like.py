from .. import dtypes
from .base import Op, register


@register("CastLike", since=15)
class CastLike(Op):
    handles_exotic = True  # exotic dtypes pass through or are converted here

    def init(self):
        self.saturate = bool(self.attr("saturate", 1))
        self.round_mode = self.attr("round_mode", "up")

    def run(self, x, like):
        return (dtypes.cast(x, dtypes.onnx_type(like.dtype), self.saturate, self.round_mode),)
