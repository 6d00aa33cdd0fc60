"""Shared by the random-number ops. Their outputs cannot match another
runtime's (ONNX fixes no generator), so they are never constant-folded and
the conformance cases comparing their values are excluded by construction
(tools/conformance.py EXCLUDED). A `seed` makes one session repeatable."""
import numpy as np

from .. import dtypes

_shared = np.random.default_rng()


def generator(op):
    """A generator per node when the node has a seed (same seed, same stream
    from session creation on), else one shared unseeded generator."""
    seed = op.attr("seed")
    return _shared if seed is None else np.random.default_rng(int(np.float32(seed).view(np.uint32)))


def out_dtype(op, like=None, default=dtypes.FLOAT):
    """The `dtype` attribute, else the dtype of `like`, else float32."""
    t = op.attr("dtype")
    if t is not None:
        return t
    return dtypes.onnx_type(like.dtype) if like is not None else default
