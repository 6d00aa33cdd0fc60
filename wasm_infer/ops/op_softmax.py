from .base import register
from ._softmax import AxisOp, AxisOp1, softmax


@register("Softmax", since=1)
class Softmax1(AxisOp1):
    along = staticmethod(softmax)


@register("Softmax", since=13)
class Softmax(AxisOp):
    along = staticmethod(softmax)
