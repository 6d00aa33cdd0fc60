"""ArgMax/ArgMin: keepdims, and select_last_index (opset 12) which picks the
last of tied extremes instead of the first."""
import numpy as np

from .base import Op


class ArgReduce(Op):
    fn = None  # np.argmax or np.argmin

    def init(self):
        self.axis = self.attr("axis", 0)
        self.keepdims = bool(self.attr("keepdims", 1))
        self.last = bool(self.attr("select_last_index", 0))

    def run(self, x):
        axis = self.axis + x.ndim if self.axis < 0 else self.axis
        fn = type(self).fn
        if self.last:
            # The first hit in the reversed axis is the last hit in the original.
            index = x.shape[axis] - 1 - fn(np.flip(x, axis), axis=axis)
        else:
            index = fn(x, axis=axis)
        if self.keepdims:
            index = np.expand_dims(index, axis)
        # argmax gives intp, which is int32 in wasm32; ONNX wants int64.
        return (np.asarray(index, dtype=np.int64),)
