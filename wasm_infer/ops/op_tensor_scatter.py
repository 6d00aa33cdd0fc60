import numpy as np

from ..errors import InputError

from .base import Op, register


@register("TensorScatter", since=24)
class TensorScatter(Op):
    """KV-cache update: writes `update` into a copy of `past_cache` along
    `axis`, starting at write_indices[b] for batch b (wrapping modulo the
    cache length in "circular" mode)."""
    handles_exotic = True  # moves or decodes elements itself: no float32 round trip

    def run(self, past_cache, update, write_indices=None):
        axis = self.attr("axis", -2) % past_cache.ndim
        if axis == 0:
            raise InputError(f"node {self.node.name!r} (TensorScatter): axis 0 is the batch axis")
        circular = self.attr("mode", "linear") == "circular"
        cache_len, steps = past_cache.shape[axis], update.shape[axis]
        self.check_shape("update", update, past_cache.shape[:axis] + (None,) + past_cache.shape[axis + 1:])
        if write_indices is not None:
            self.check_shape("write_indices", write_indices, (past_cache.shape[0],))
        out = np.array(past_cache, copy=True)
        starts = np.zeros(past_cache.shape[0], np.int64) if write_indices is None else write_indices.astype(np.int64)
        for b, start in enumerate(starts.tolist()):
            pos = np.arange(start, start + steps)
            if circular:
                pos %= cache_len
            # Views with the sequence axis first, so one fancy index writes it.
            view = np.moveaxis(out[b], axis - 1, 0)
            view[pos.astype(np.intp)] = np.moveaxis(update[b], axis - 1, 0)
        return (out,)
