import numpy as np

from ..errors import InputError
from ..limits import deadline_check
from ._attention import split_heads
from .base import Op, register

_RULES = {"linear": (False, False), "gated": (True, False), "delta": (False, True), "gated_delta": (True, True)}


@register("LinearAttention", since=27)
class LinearAttention(Op):
    """Recurrent linear attention over a (B, H_kv, d_k, d_v) state, token by
    token, in float32 whatever the input type:
        S = exp(g) * S                                  (gated rules)
        v = beta * (v - S^T k)                          (delta rules)
        S = S + k (x) v ;  o = scale * q^T S
    Query heads share KV-head states in groups (GQA)."""

    def init(self):
        self.q_heads = self.required_attr("q_num_heads")
        self.kv_heads = self.required_attr("kv_num_heads")
        self.scale = self.attr("scale", 0.0)
        rule = self.attr("update_rule", "gated_delta")
        if rule not in _RULES or self.q_heads % self.kv_heads:
            raise InputError(f"node {self.node.name!r} (LinearAttention): update_rule {rule!r} with "
                             f"{self.q_heads} query / {self.kv_heads} kv heads is not valid")
        self.gated, self.delta = _RULES[rule]

    def _per_step(self, x, what, d_k=None):
        """(B, T, H_kv [* d_k] or 1) -> (B, H, T, width) float32."""
        if x is None:
            raise InputError(f"node {self.node.name!r} (LinearAttention): this update rule needs {what}")
        b, t, last = x.shape
        heads = self.kv_heads if last in (self.kv_heads, self.kv_heads * (d_k or 0)) else last
        return split_heads(x, heads).astype(np.float32)

    def run(self, query, key, value, past_state=None, decay=None, beta=None):
        f32 = np.float32
        q = split_heads(query, self.q_heads).astype(f32)   # B, Hq, T, dk
        k = split_heads(key, self.kv_heads).astype(f32)
        v = split_heads(value, self.kv_heads).astype(f32)
        b, _, t, d_k = q.shape
        d_v = v.shape[-1]
        group = self.q_heads // self.kv_heads
        g = self._per_step(decay, "decay", d_k) if self.gated else None
        beta4 = self._per_step(beta, "beta") if self.delta else None
        if past_state is None:
            state, state_dtype = np.zeros((b, self.kv_heads, d_k, d_v), f32), query.dtype
        else:
            state, state_dtype = past_state.astype(f32), past_state.dtype
        scale = f32(self.scale if self.scale else 1.0 / np.sqrt(d_k))
        out = np.empty((b, self.q_heads, t, d_v), f32)
        tick = deadline_check(self)
        for i in range(t):
            tick()
            if self.gated:
                state = state * np.exp(g[:, :, i])[..., None]
            v_i = v[:, :, i]
            if self.delta:
                v_i = beta4[:, :, i] * (v_i - np.einsum("bhdm,bhd->bhm", state, k[:, :, i]))
            state = state + k[:, :, i, :, None] * v_i[..., None, :]
            shared = np.repeat(state, group, axis=1) if group > 1 else state
            out[:, :, i] = scale * np.einsum("bhd,bhdm->bhm", q[:, :, i], shared)
        y = out.transpose(0, 2, 1, 3).reshape(b, t, self.q_heads * d_v).astype(query.dtype)
        return y, state.astype(state_dtype)
