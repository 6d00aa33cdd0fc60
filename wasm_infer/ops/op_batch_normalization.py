import numpy as np

from .base import Op, register
from ._precision import acc_dtype


@register("BatchNormalization", since=1)
class BatchNormalization(Op):
    """Inference: y = (x - mean) / sqrt(var + eps) * scale + bias.
    Training (opset 14+: training_mode=1; before: when the optional
    statistics outputs are requested) normalises with the batch's own
    mean and population variance and also returns the running statistics
    blended with `momentum` (then, before opset 14, the batch statistics)."""
    def init(self):
        self.eps = float(self.attr("epsilon", 1e-5))
        self.momentum = float(self.attr("momentum", 0.9))
        if self.ctx.opset("") >= 14:
            self.training = bool(self.attr("training_mode", 0))
        else:
            self.training = any(self.node.outputs[1:])

    def run(self, x, scale, bias, mean, var):
        shape = (1, -1) + (1,) * (x.ndim - 2)
        acc = acc_dtype(x.dtype)
        xa = x.astype(acc, copy=False)
        if self.training:
            axes = (0,) + tuple(range(2, x.ndim))
            batch_mean = xa.mean(axis=axes)
            batch_var = xa.var(axis=axes)
            use_mean, use_var = batch_mean, batch_var
        else:
            use_mean, use_var = mean.astype(acc), var.astype(acc)
        inv = scale.astype(acc) / np.sqrt(use_var + self.eps)
        y = ((xa - use_mean.reshape(shape)) * inv.reshape(shape) + bias.astype(acc).reshape(shape)).astype(x.dtype)
        if not self.training:
            return (y,)
        m = self.momentum
        running_mean = (mean.astype(acc) * m + batch_mean * (1 - m)).astype(mean.dtype)
        running_var = (var.astype(acc) * m + batch_var * (1 - m)).astype(var.dtype)
        return (y, running_mean, running_var, batch_mean.astype(mean.dtype), batch_var.astype(var.dtype))
