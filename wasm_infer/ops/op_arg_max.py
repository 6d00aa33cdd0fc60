import numpy as np

from .base import register
from ._argreduce import ArgReduce


@register("ArgMax", since=1)
class ArgMax(ArgReduce):
    fn = np.argmax
