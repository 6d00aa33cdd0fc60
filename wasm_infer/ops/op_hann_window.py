from .base import register
from ._window import CosineWindow


@register("HannWindow", since=17)
class HannWindow(CosineWindow):
    coefficients = (0.5, 0.5)
