from .base import register
from .op_scatter_elements import ScatterElements


@register("Scatter", since=9)
class Scatter(ScatterElements):
    """Opsets 9-10 name for ScatterElements (no reduction); removed in 11."""
