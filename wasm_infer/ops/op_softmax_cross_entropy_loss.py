import numpy as np

from ..errors import InputError
from ._loss import nll
from .base import Op, register


@register("SoftmaxCrossEntropyLoss", since=12)
class SoftmaxCrossEntropyLoss(Op):
    """Loss over log-softmax along axis 1; the optional second output is the
    log-probabilities themselves."""

    def init(self):
        self.reduction = self.attr("reduction", "mean")
        self.ignore_index = self.attr("ignore_index")

    def run(self, scores, labels, weights=None):
        if scores.ndim < 2:
            raise InputError(f"node {self.node.name!r} (SoftmaxCrossEntropyLoss): scores of rank {scores.ndim}")
        shifted = scores - np.max(scores, axis=1, keepdims=True)
        logp = (shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))).astype(scores.dtype)
        loss = nll(self, logp, labels, weights, self.reduction, self.ignore_index)
        return (loss, logp) if len(self.node.outputs) > 1 else (loss,)
