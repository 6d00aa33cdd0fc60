from .base import register
from ._softmax import AxisOp, AxisOp1, hardmax


@register("Hardmax", since=1)
class Hardmax1(AxisOp1):
    along = staticmethod(hardmax)


@register("Hardmax", since=13)
class Hardmax(AxisOp):
    along = staticmethod(hardmax)
