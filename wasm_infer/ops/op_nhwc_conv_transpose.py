"""ConvTranspose in NHWC (x [N, H, W, C] -> y [N, OH, OW, M]) with the ONNX
weights [C, M/group, KH, KW] and an optional bias: what the `to_nhwc` pass
turns a 2-D ConvTranspose whose kernel equals its stride into, so that it
stays inside a channels-last region. The same attributes and result as
ConvTranspose, with the layout permuted; its GEMM lowering is in
lowering/conv.py. Internal op: models never contain it."""
import numpy as np

from ..errors import InputError
from .internal import DOMAIN
from .base import register
from .op_conv_transpose import ConvTranspose


@register("NhwcConvTranspose", since=1, domain=DOMAIN)
class NhwcConvTranspose(ConvTranspose):
    def run(self, x, w, b=None):
        if x.ndim != 4:
            raise InputError(f"node {self.node.name!r} (ConvTranspose): input {list(x.shape)} (NHWC) is not 4-D")
        (y,) = super().run(x.transpose(0, 3, 1, 2), w, b)
        return (np.ascontiguousarray(y.transpose(0, 2, 3, 1)),)
