from ._loss import nll
from .base import Op, register


@register("NegativeLogLikelihoodLoss", since=12)
class NegativeLogLikelihoodLoss(Op):
    def init(self):
        self.reduction = self.attr("reduction", "mean")
        self.ignore_index = self.attr("ignore_index")

    def run(self, x, target, weight=None):
        return (nll(self, x, target, weight, self.reduction, self.ignore_index),)
