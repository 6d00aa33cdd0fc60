import numpy as np

from .base import Op, register


@register("Compress", since=9)
class Compress(Op):
    """Keeps the slices along axis (or elements of the flattened input) whose
    condition is true; a condition shorter than the axis drops the rest."""
    handles_exotic = True  # moves or decodes elements itself: no float32 round trip

    def run(self, x, condition):
        axis = self.attr("axis")
        cond = condition.astype(np.bool_).reshape(-1)
        if axis is None:
            x = x.reshape(-1)
            axis = 0
        return (np.compress(cond, x, axis=axis),)
