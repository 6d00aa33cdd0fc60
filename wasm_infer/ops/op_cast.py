from .. import dtypes
from .base import Op, register


@register("Cast", since=1)
class Cast(Op):
    handles_exotic = True  # exotic dtypes pass through or are converted here

    """Any supported dtype to any other (dtypes.cast): float8 saturation per
    `saturate` (opset 19+), float8e8m0 rounding per `round_mode` (opset 24+)."""

    def init(self):
        to = self.required_attr("to")
        if isinstance(to, str):  # opset 1 spelled the type as a string
            to = {v.upper(): k for k, v in dtypes.NAMES.items()}.get(to.upper(), 0)
        self.to = to
        dtypes.to_numpy(self.to, f"node {self.node.name!r} (Cast)")  # unsupported types fail at creation
        self.saturate = bool(self.attr("saturate", 1))
        self.round_mode = self.attr("round_mode", "up")

    def run(self, x):
        return (dtypes.cast(x, self.to, self.saturate, self.round_mode),)
