import numpy as np

from ..errors import InputError
from ..limits import check_output
from .base import Op, register
from ._spectral import from_complex, to_complex


@register("STFT", since=17)
class STFT(Op):
    """signal [batch, length, 1|2] -> [batch, frames, bins, 2] with
    frames = (length - frame_length) // frame_step + 1; each frame is
    multiplied by the window (default rectangular) and transformed."""
    def run(self, signal, frame_step, window=None, frame_length=None):
        step = int(np.asarray(frame_step).reshape(-1)[0])
        z = to_complex(signal)                                  # (batch, length)
        if frame_length is not None and frame_length.size:
            n = int(np.asarray(frame_length).reshape(-1)[0])
        elif window is not None:
            n = window.shape[0]
        else:
            n = z.shape[1]
        if window is not None and window.shape[0] != n:
            raise InputError(f"node {self.node.name!r} (STFT): window length {window.shape[0]} != frame_length {n}")
        frames = (z.shape[1] - n) // step + 1
        if frames <= 0:
            raise InputError(f"node {self.node.name!r} (STFT): signal of {z.shape[1]} samples is shorter "
                             f"than one frame of {n}")
        # overlapping frames copy the signal up to frame_length / frame_step times (complex, then transformed)
        check_output(self, (z.shape[0], frames, n), 2 * z.dtype.itemsize)
        idx = (np.arange(frames)[:, None] * step + np.arange(n)[None, :]).astype(np.intp)
        framed = z[:, idx]                                      # (batch, frames, n)
        if window is not None:
            framed = framed * window.astype(framed.real.dtype)
        y = np.fft.fft(framed, axis=-1)
        if self.attr("onesided", 1):     # also for complex input, as onnx.reference does
            y = y[..., :n // 2 + 1]
        return (from_complex(y, signal.dtype),)
