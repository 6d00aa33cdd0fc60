import numpy as np

from .base import register
from ._elementwise import Compare


@register("Less", since=1)
class Less(Compare):
    fn = np.less
