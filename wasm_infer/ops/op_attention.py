import numpy as np

from .. import dtypes
from ..errors import InputError
from ._attention import merge_heads, repeat_kv, softmax_last, split_heads
from ..limits import check_output
from .base import Op, register

# softmax_precision values (TensorProto types) that NumPy has; bfloat16 (16) is
# computed in float32, its nearest wider type.
_PRECISION = {1: np.float32, 10: np.float16, 11: np.float64, 16: np.float32}


def _pad_last(mask, length):
    """attn_mask may be shorter than the total key length: the missing keys
    are masked out (False / -inf)."""
    missing = length - mask.shape[-1]
    if missing <= 0:
        return mask
    fill = False if mask.dtype == np.bool_ else -np.inf
    return np.pad(mask, [(0, 0)] * (mask.ndim - 1) + [(0, missing)], constant_values=fill)


@register("Attention", since=23)
class Attention(Op):
    """Scaled dot-product attention (opsets 23-25: 24 adds nonpad_kv_seqlen,
    25 the sliding window; absent attributes keep the older behaviour)."""

    handles_exotic = True  # bfloat16 is computed with the rounding of each step (see run)

    def init(self):
        self.scale = self.attr("scale")
        self.is_causal = bool(self.attr("is_causal", 0))
        self.q_heads = self.attr("q_num_heads")
        self.kv_heads = self.attr("kv_num_heads")
        self.softcap = float(self.attr("softcap", 0.0))
        self.mode = self.attr("qk_matmul_output_mode", 0)
        self.precision = self.attr("softmax_precision")
        self.left = self.attr("left_window_size", -1)
        self.right = self.attr("right_window_size", -1)

    def _bias(self, dtype, q_len, kv_len, batch, mask, offset):
        """Additive bias (0 or -inf, plus a float mask), broadcastable to
        (batch, heads, q_len, kv_len). `offset` is the number of valid keys
        before the query block: a scalar, or per batch (shape (batch,))."""
        bias = np.zeros((q_len, kv_len), dtype)
        if mask is not None:
            mask = _pad_last(mask, kv_len)
            if mask.dtype == np.bool_:
                mask = np.where(mask, dtype.type(0), dtype.type(-np.inf))
            bias = bias + mask.astype(dtype)
        if self.is_causal or self.left >= 0 or self.right >= 0:
            # Position of query i is i + offset (bottom-right alignment).
            off = np.asarray(offset, np.int64).reshape(-1, 1, 1, 1)
            dist = np.arange(q_len).reshape(-1, 1) + off - np.arange(kv_len)  # query pos - key pos
            allowed = np.ones(dist.shape, np.bool_)
            if self.is_causal:
                allowed &= dist >= 0
            if self.left >= 0:
                allowed &= dist <= self.left
            if self.right >= 0:
                allowed &= -dist <= self.right
            if np.ndim(offset) == 0:
                allowed = allowed[0, 0]  # keep a rank-3 mask aligned as (heads, q, kv)
            bias = bias + np.where(allowed, dtype.type(0), dtype.type(-np.inf))
        return bias

    def run(self, q, k, v, attn_mask=None, past_key=None, past_value=None, nonpad_kv_seqlen=None):
        exotic = dtypes.onnx_type(q.dtype) if dtypes.is_exotic(q.dtype) else None
        if exotic is None:
            return self._attend(q, k, v, attn_mask, past_key, past_value, nonpad_kv_seqlen, None)
        # bfloat16 and friends: compute in float32, rounding every step to the
        # input type as the ONNX function body (one op at a time) does.
        wide = [a if a is None or not dtypes.is_exotic(a.dtype) else dtypes.to_float32(a)
                for a in (q, k, v, attn_mask, past_key, past_value)]
        out = self._attend(*wide, nonpad_kv_seqlen, lambda a: dtypes.to_float32(dtypes.cast(a, exotic)))
        return tuple(dtypes.cast(o, exotic) for o in out)

    def _attend(self, q, k, v, attn_mask, past_key, past_value, nonpad_kv_seqlen, rnd):
        same = rnd or (lambda a: a)   # rounds to the narrow input type, if any
        rank3 = q.ndim == 3
        if rank3:
            if self.q_heads is None or self.kv_heads is None:
                raise InputError(f"node {self.node.name!r} (Attention): 3-D inputs need q_num_heads and kv_num_heads")
            q, k, v = split_heads(q, self.q_heads), split_heads(k, self.kv_heads), split_heads(v, self.kv_heads)
        if (past_key is None) != (past_value is None):
            raise InputError(f"node {self.node.name!r} (Attention): past_key and past_value go together")
        if past_key is not None:
            k = np.concatenate([past_key, k], axis=2)
            v = np.concatenate([past_value, v], axis=2)
        present_k, present_v = k, v
        dtype = q.dtype
        batch, q_heads, q_len, head = q.shape
        kv_len = k.shape[2]
        # the scores and the mask are (q_len, kv_len) per head: long sequences of short vectors make many
        check_output(self, (batch, q_heads, q_len, kv_len), dtype.itemsize)
        if past_key is not None:
            offset = past_key.shape[2]
        elif nonpad_kv_seqlen is not None:
            offset = nonpad_kv_seqlen.astype(np.int64).reshape(-1) - q_len
        else:
            offset = 0
        bias = self._bias(dtype, q_len, kv_len, batch, attn_mask, offset)
        if nonpad_kv_seqlen is not None:
            valid = np.arange(kv_len) < nonpad_kv_seqlen.astype(np.int64).reshape(-1, 1, 1, 1)
            bias = bias + np.where(valid, dtype.type(0), dtype.type(-np.inf))

        # Scale Q and K by sqrt(scale) each, in the input type, so large
        # logits do not overflow (float16) before the product.
        scale = self.scale if self.scale is not None else 1.0 / np.sqrt(head)
        root = same(dtype.type(np.sqrt(scale)))
        k, v = repeat_kv(k, q_heads), repeat_kv(v, q_heads)
        raw = same(np.matmul(same(q * root), np.swapaxes(same(k * root), -1, -2)))
        capped = raw
        if self.softcap > 0:
            cap = same(dtype.type(self.softcap))
            capped = same(same(np.tanh(same(raw / cap))) * cap).astype(dtype)
        scores = same(capped + bias)
        work = np.dtype(_PRECISION.get(self.precision, dtype))
        # A row is dead when the bias forbids every key, whatever the logits.
        dead = np.isneginf(np.max(bias, axis=-1, keepdims=True))
        probs = softmax_last(scores.astype(work), dead, rnd if work == dtype else None).astype(dtype)
        y = same(np.matmul(probs, v)).astype(dtype)
        qk = {0: raw, 1: capped, 2: scores, 3: probs}.get(self.mode, raw)
        qk = np.broadcast_to(qk, (batch, q_heads, q_len, kv_len)).astype(dtype)
        if rank3:
            y = merge_heads(y)
        return y, present_k, present_v, qk
