"""GELU written out node by node (the Erf form x * 0.5 * (1 + Erf(x / sqrt 2))
or the tanh form), found by the `fuse_gelu` pass; attribute approximate:
"none" (Erf) or "tanh". Computed as ONNX Gelu (opset 20) computes it, in
float64 then cast to the input's dtype. Internal op: models never contain it."""
from .base import register
from .internal import DOMAIN
from .op_gelu import Gelu


@register("FusedGelu", since=1, domain=DOMAIN)
class FusedGelu(Gelu):
    pass
