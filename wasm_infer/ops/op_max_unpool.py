import numpy as np

from ..errors import InputError
from ..limits import check_output
from .base import Op, register


@register("MaxUnpool", since=9)
class MaxUnpool(Op):
    """Scatter X into zeros at MaxPool's flat Indices. Indices address the
    shape a MaxPool with these attributes would have been applied to,
    (in - 1) * stride + kernel - pads; an explicit output_shape (third input,
    for inputs whose size the pooling rounded down) only adds zeros at the
    end of each spatial axis, as onnxruntime and onnx.reference do."""
    def run(self, x, indices, output_shape=None):
        kernel = list(self.required_attr("kernel_shape"))
        n = len(kernel)
        strides = list(self.attr("strides", None) or [1] * n)
        pads = list(self.attr("pads", None) or [0] * (2 * n))
        shape = x.shape[:2] + tuple((i - 1) * s + k - pads[a] - pads[a + n]
                                    for a, (i, s, k) in enumerate(zip(x.shape[2:], strides, kernel)))
        check_output(self, shape, x.dtype.itemsize)     # strides and pads: any size
        if output_shape is not None:
            check_output(self, [int(v) for v in output_shape], x.dtype.itemsize)
        y = np.zeros(shape, x.dtype)
        flat = indices.reshape(-1).astype(np.intp)
        if flat.size and (flat.min() < 0 or flat.max() >= y.size):
            raise InputError(f"node {self.node.name!r} (MaxUnpool): index out of range for output {list(shape)}")
        y.reshape(-1)[flat] = x.reshape(-1)
        if output_shape is not None:
            full = np.zeros(tuple(int(v) for v in output_shape), x.dtype)
            full[tuple(slice(0, min(a, b)) for a, b in zip(shape, full.shape))] = \
                y[tuple(slice(0, min(a, b)) for a, b in zip(shape, full.shape))]
            y = full
        return (y,)
