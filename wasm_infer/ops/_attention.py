"""Pieces shared by the attention ops (Attention, FlexAttention)."""
import numpy as np


def split_heads(x, heads):
    """(batch, seq, heads * size) -> (batch, heads, seq, size)."""
    b, s, hidden = x.shape
    return x.reshape(b, s, heads, hidden // heads).transpose(0, 2, 1, 3)


def merge_heads(x):
    """(batch, heads, seq, size) -> (batch, seq, heads * size)."""
    b, h, s, d = x.shape
    return x.transpose(0, 2, 1, 3).reshape(b, s, h * d)


def repeat_kv(x, q_heads):
    """Grouped-query attention: each KV head serves q_heads // kv_heads
    consecutive query heads ([h0, h0, h1, h1, ...])."""
    kv_heads = x.shape[1]
    if kv_heads == q_heads:
        return x
    if kv_heads == 0 or q_heads % kv_heads:
        raise ValueError(f"{q_heads} query heads are not a multiple of {kv_heads} key/value heads")
    return np.repeat(x, q_heads // kv_heads, axis=1)


def softmax_last(x, dead_rows=None, rnd=None):
    """Softmax over the last axis. A row that is entirely -inf (or listed in
    `dead_rows`, a boolean array broadcastable to (..., 1)) gives zeros, not
    NaN: a query with no key to attend outputs a zero row. `rnd` rounds each
    intermediate to a narrower type (bfloat16), as ONNX computes it."""
    top = np.max(x, axis=-1, keepdims=True)
    dead = np.isneginf(top) if dead_rows is None else (dead_rows | np.isneginf(top))
    same = rnd or (lambda a: a)
    e = same(np.exp(same(x - np.where(dead, 0, top).astype(x.dtype))))
    if rnd is None:
        total = np.sum(e, axis=-1, keepdims=True)
    else:  # a narrow type sums one element at a time, rounding each partial sum
        total = np.zeros(e.shape[:-1] + (1,), e.dtype)
        for i in range(e.shape[-1]):
            total = rnd(total + e[..., i:i + 1])
    p = same(e / np.where(total == 0, 1, total).astype(x.dtype))
    return np.where(dead, x.dtype.type(0), p)
