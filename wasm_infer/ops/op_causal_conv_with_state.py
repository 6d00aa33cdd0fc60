import numpy as np

from ..errors import InputError
from .base import Op, register
from ._precision import acc_dtype


@register("CausalConvWithState", since=27)
class CausalConvWithState(Op):
    """Depthwise causal 1-D conv over (B, C, L): the past_state (or zeros)
    supplies the k-1 samples before the input; present_state is the last
    k-1 samples of that concatenation, for the next decode step."""
    def init(self):
        self.activation = self.attr("activation", "none")
        if self.activation not in ("none", "silu", "swish"):
            raise InputError(f"node {self.node.name!r} (CausalConvWithState): "
                             f"unknown activation {self.activation!r}")

    def run(self, x, w, b=None, past=None):
        bsz, c, length = x.shape
        k = w.shape[2]
        if past is None:
            past = np.zeros((bsz, c, k - 1), x.dtype)
        full = np.concatenate([past.astype(x.dtype, copy=False), x], axis=2)
        acc = acc_dtype(x.dtype)
        wk = w.astype(acc, copy=False).reshape(c, k)
        y = np.zeros((bsz, c, length), acc)
        for t in range(k):
            y += full[:, :, t:t + length] * wk[:, t][:, None]
        if b is not None:
            y += b.astype(acc)[:, None]
        y = y.astype(x.dtype)   # the activation sees the conv result at the output precision
        if self.activation != "none":
            f = y.astype(np.float32 if acc == np.float32 else acc)
            y = (f / (1 + np.exp(-f))).astype(x.dtype)
        return (y, full[:, :, full.shape[2] - (k - 1):])
