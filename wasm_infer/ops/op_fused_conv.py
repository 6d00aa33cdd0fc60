"""Conv with a clamping activation (Relu, Clip) fused in by the
`fuse_conv_activation` pass. Internal op: models never contain it."""
from .base import register
from .internal import DOMAIN
from .op_conv import Conv


@register("FusedConv", since=1, domain=DOMAIN)
class FusedConv(Conv):
    def init(self):
        super().init()
        self.lo = float(self.required_attr("activation_min"))
        self.hi = float(self.required_attr("activation_max"))
