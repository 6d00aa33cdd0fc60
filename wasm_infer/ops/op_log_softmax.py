from .base import register
from ._softmax import AxisOp, AxisOp1, log_softmax


@register("LogSoftmax", since=1)
class LogSoftmax1(AxisOp1):
    along = staticmethod(log_softmax)


@register("LogSoftmax", since=13)
class LogSoftmax(AxisOp):
    along = staticmethod(log_softmax)
