import numpy as np

from .base import Op, register


@register("ReverseSequence", since=10)
class ReverseSequence(Op):
    """Reverses the first sequence_lens[b] steps of each batch entry b along
    time_axis; later steps stay in place."""
    handles_exotic = True  # moves or decodes elements itself: no float32 round trip

    def run(self, x, sequence_lens):
        batch_axis = self.attr("batch_axis", 1)
        time_axis = self.attr("time_axis", 0)
        out = np.array(x, copy=True)
        for b, n in enumerate(sequence_lens.astype(np.int64).tolist()):
            src = [slice(None)] * x.ndim
            src[batch_axis] = b
            dst = list(src)
            src[time_axis] = slice(n - 1, None, -1) if n > 0 else slice(0, 0)
            dst[time_axis] = slice(0, max(n, 0))
            out[tuple(dst)] = x[tuple(src)]
        return (out,)
