"""QS8Add: DequantizeLinear(a) + DequantizeLinear(b) → QuantizeLinear, on the
quantized values (what onnxruntime's QLinearAdd computes), made by the
fuse_qdq pass. Internal op: models never contain it.

    y = clamp(round_half_even(a_ratio * (a - a_zero_point) + b_ratio * (b - b_zero_point)),
              output_min - y_zero_point, output_max - y_zero_point) + y_zero_point

in float32, with a_ratio = a_scale / y_scale and b_ratio = b_scale / y_scale
rounded to float32 (attributes). onnxruntime's QLinearAdd (MLAS) computes
the same up to the float rounding order: on the model's first Add, 2 of the
65,536 possible input pairs, both within 2e-5 of a tie, round the other way
(tests/test_qs8.py). a and b are uint8/int8 with NumPy broadcasting;
output_signed says the output type. Position by position, so it runs
unchanged on NHWC tensors (layout trait). NumPy reference; the kernel path
(equal shapes) is in lowering/qs8.py."""
import numpy as np

from .base import Op, register
from .internal import DOMAIN


@register("QS8Add", since=1, domain=DOMAIN)
class QS8Add(Op):
    layout = "elementwise_binary"

    def init(self):
        # defaults: the identity requantization (ratios 1, zero points 0, the output type's range)
        self.ra = np.float32(self.attr("a_ratio", 1.0))
        self.rb = np.float32(self.attr("b_ratio", 1.0))
        self.za = int(self.attr("a_zero_point", 0))
        self.zb = int(self.attr("b_zero_point", 0))
        self.zy = int(self.attr("y_zero_point", 0))
        self.signed = bool(self.attr("output_signed", 0))
        self.lo = int(self.attr("output_min", -128 if self.signed else 0))
        self.hi = int(self.attr("output_max", 127 if self.signed else 255))

    def run(self, a, b):
        va = (a.astype(np.float32) - np.float32(self.za)) * self.ra     # exact for 8-bit a
        vb = (b.astype(np.float32) - np.float32(self.zb)) * self.rb
        y = np.clip(np.rint(va + vb), self.lo - self.zy, self.hi - self.zy) + self.zy
        return (y.astype(np.int8 if self.signed else np.uint8),)
