import numpy as np

from ..errors import InputError
from .base import Op, register


@register("RotaryEmbedding", since=23)
class RotaryEmbedding(Op):
    """Rotates pairs of features of each head by position-dependent angles:
    (x1, x2) -> (x1 cos - x2 sin, x1 sin + x2 cos). Pairs are the two halves
    of the rotated part, or neighbours when `interleaved`. Input is
    (batch, heads, seq, head) or (batch, seq, heads * head)."""

    def init(self):
        self.interleaved = self.attr("interleaved", 0)
        self.rotary_dim = self.attr("rotary_embedding_dim", 0)
        self.num_heads = self.attr("num_heads", 0)

    def run(self, x, cos_cache, sin_cache, position_ids=None):
        self.check_shape("sin_cache", sin_cache, cos_cache.shape)
        shape = x.shape
        if x.ndim == 4:
            x = x.transpose(0, 2, 1, 3)                  # -> batch, seq, heads, head
        else:
            if not self.num_heads:
                raise InputError(f"node {self.node.name!r} (RotaryEmbedding): 3-D input needs num_heads")
            x = x.reshape(shape[0], shape[1], self.num_heads, -1)
        dim = self.rotary_dim or x.shape[-1]
        if position_ids is not None:
            ids = position_ids.astype(np.intp)
            cos_cache, sin_cache = cos_cache[ids], sin_cache[ids]   # batch, seq, dim/2
        cos = np.expand_dims(cos_cache, 2)
        sin = np.expand_dims(sin_cache, 2)
        if cos.shape[-1] != dim // 2:
            raise InputError(f"node {self.node.name!r} (RotaryEmbedding): cache width {cos.shape[-1]} "
                             f"is not half the rotary dimension {dim}")
        rot = x[..., :dim]
        x1, x2 = (rot[..., 0::2], rot[..., 1::2]) if self.interleaved else (rot[..., :dim // 2], rot[..., dim // 2:])
        real = cos * x1 - sin * x2
        imag = sin * x1 + cos * x2
        if self.interleaved:
            rot = np.stack([real, imag], axis=-1).reshape(rot.shape)
        else:
            rot = np.concatenate([real, imag], axis=-1)
        y = np.concatenate([rot, x[..., dim:]], axis=-1).astype(x.dtype)
        y = y.transpose(0, 2, 1, 3) if len(shape) == 4 else y.reshape(shape)
        return (y,)
