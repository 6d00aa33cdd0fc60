import numpy as np

from .base import register
from ._argreduce import ArgReduce


@register("ArgMin", since=1)
class ArgMin(ArgReduce):
    fn = np.argmin
