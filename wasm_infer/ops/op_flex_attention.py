import numpy as np

from ..errors import InputError
from ._attention import repeat_kv, softmax_last
from ._subgraph import split_scope
from ..limits import check_output
from .base import Op, register

# softmax_precision (TensorProto type) -> NumPy type; bfloat16 is computed in float32.
_PRECISION = {1: np.float32, 10: np.float16, 11: np.float64, 16: np.float32}


@register("FlexAttention", since=1, domain="ai.onnx.preview")
class FlexAttention(Op):
    """Attention with optional modifier subgraphs: score_mod rewrites the
    scaled Q·K^T scores, prob_mod the softmax probabilities. Both work in
    the softmax precision (float32 unless the input is double)."""
    deterministic = False  # has subgraphs

    def init(self):
        self.scale = self.attr("scale")
        self.precision = self.attr("softmax_precision")
        self.mods, names = {}, {}
        label = self.node.name or self.node.outputs[0]
        for attr in ("score_mod", "prob_mod"):
            if self.attr(attr) is not None:
                runner = self.ctx.compile(self.attr(attr), f"FlexAttention {label!r} {attr}")
                self.mods[attr] = runner
                names.update(dict.fromkeys(runner.outer_names))
        self.implicit_inputs = list(names)

    def _apply(self, attr, x, scope):
        runner = self.mods.get(attr)
        if runner is None:
            return x
        (name,) = [v.name for v in runner.graph.inputs]
        (out,) = runner.run({name: x}, scope)
        return np.asarray(out, dtype=x.dtype)

    def run(self, *args):
        (q, k, v), scope = split_scope(self, args)
        if not q.ndim == k.ndim == v.ndim == 4:
            raise InputError(f"node {self.node.name!r} (FlexAttention): Q, K and V must be rank 4")
        dtype = q.dtype
        work = np.dtype(_PRECISION[self.precision] if self.precision else
                        (np.float64 if dtype == np.float64 else np.float32))
        scale = self.scale if self.scale is not None else 1.0 / np.sqrt(q.shape[-1])
        root = np.asarray(np.sqrt(np.float32(scale)), dtype)   # sqrt(scale) on each of Q and K
        k, v = repeat_kv(k, q.shape[1]), repeat_kv(v, q.shape[1])
        check_output(self, q.shape[:-1] + k.shape[-2:-1], work.itemsize)    # the scores, as Attention's
        scores = np.matmul(q * root, np.swapaxes(k * root, -1, -2)).astype(work)
        scores = self._apply("score_mod", scores, scope)
        probs = self._apply("prob_mod", softmax_last(scores), scope)
        return (np.matmul(probs, v.astype(work)).astype(dtype),)
