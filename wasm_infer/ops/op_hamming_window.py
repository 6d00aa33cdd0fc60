from .base import register
from ._window import CosineWindow


@register("HammingWindow", since=17)
class HammingWindow(CosineWindow):
    coefficients = (25 / 46, 21 / 46)
