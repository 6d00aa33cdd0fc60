from .base import register
from ._window import CosineWindow


@register("BlackmanWindow", since=17)
class BlackmanWindow(CosineWindow):
    coefficients = (0.42, 0.5, 0.08)
