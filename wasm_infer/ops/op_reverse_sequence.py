import numpy as np

from ..errors import InputError
from .base import Op, register


@register("ReverseSequence", since=10)
class ReverseSequence(Op):
    """Reverses the first sequence_lens[b] steps of each batch entry b along
    time_axis; later steps stay in place."""
    handles_exotic = True  # moves or decodes elements itself: no float32 round trip

    def run(self, x, sequence_lens):
        batch_axis = self.attr("batch_axis", 1)
        time_axis = self.attr("time_axis", 0)
        if x.ndim < 2 or {batch_axis, time_axis} != {0, 1}:
            raise InputError(f"node {self.node.name!r} (ReverseSequence): batch_axis {batch_axis} and time_axis "
                             f"{time_axis} must be 0 and 1 of an input of rank 2 or more")
        self.check_shape("sequence_lens", sequence_lens, (x.shape[batch_axis],))
        if ((sequence_lens < 0) | (sequence_lens > x.shape[time_axis])).any():
            raise InputError(f"node {self.node.name!r} (ReverseSequence): sequence_lens must be in "
                             f"[0, {x.shape[time_axis]}]")
        out = np.array(x, copy=True)
        for b, n in enumerate(sequence_lens.astype(np.int64).tolist()):
            src = [slice(None)] * x.ndim
            src[batch_axis] = b
            dst = list(src)
            src[time_axis] = slice(n - 1, None, -1) if n > 0 else slice(0, 0)
            dst[time_axis] = slice(0, max(n, 0))
            out[tuple(dst)] = x[tuple(src)]
        return (out,)
