"""com.microsoft DynamicQuantizeLSTM (onnxruntime's quantize_dynamic of an
LSTM): an ONNX LSTM (attributes, gates, peepholes, directions as op_lstm.py)
whose W [D, input, 4H] and R [D, H, 4H] (transposed against LSTM's) are
uint8/int8 with a scale and zero point per direction ([D]) or per gate
column ([D, 4H]). Each product with them runs as onnxruntime's runs it: the
float operand quantized to uint8 per tensor (DynamicQuantizeLinear's rule),
once for the whole input sequence of a direction and once per step for the
hidden state, an integer product, then scaled by operand scale * weight
scale in float32: onnxruntime's outputs to float32 rounding when it runs
on one thread (with more, it splits a batch between threads and quantizes
each part's hidden state apart). Not matched: sequence_lens shorter than the
sequence; once a sequence has ended, onnxruntime quantizes the batch's
hidden state over other values than the ones kept here (measured up to 6e-3
apart on a batch of lengths 7, 4, 7).

Inputs: X, W, R, B, sequence_lens, initial_h, initial_c, P, W_scale,
W_zero_point, R_scale, R_zero_point."""
import numpy as np

from ._contrib_quant import CONTRIB_DOMAIN, check_scale, check_zero_point, dynamic_quantize, fail, input_index
from .base import register
from .op_lstm import LSTM


def _quantized_product(x, w_centred, scale):
    """x [..., K] float, quantized per tensor, @ w_centred [K, N] (weights minus
    their zero point) * scale. The integer product is taken in float64, where
    every sum of K products of 9-bit values is exact (BLAS, not NumPy's integer loop)."""
    q, xs, xz = dynamic_quantize(x)
    acc = np.matmul(q.astype(np.float64) - xz, w_centred)
    return acc.astype(np.float32) * (xs * scale)


@register("DynamicQuantizeLSTM", since=1, domain=CONTRIB_DOMAIN)
class DynamicQuantizeLSTM(LSTM):
    def init(self):
        super().init()
        if not self.attr("hidden_size"):
            fail(self, "missing attribute hidden_size")
        h4 = 4 * int(self.attr("hidden_size"))
        lengths = (self.dirs, self.dirs * h4)          # per direction, or per direction and gate column
        for s, z, data, what in ((8, 9, 1, "W"), (10, 11, 2, "R")):
            check_scale(self, s, lengths, what=f"{what}_scale")
            check_zero_point(self, z, data, lengths, what=f"{what}_zero_point")
            weights = self.constant(data)
            if weights is not None and np.shape(weights)[-1] != h4:
                fail(self, f"{what} {self.node.inputs[data]!r} has shape {list(np.shape(weights))}; its last "
                           f"axis must be 4 * hidden_size = {h4}")
        # Constant weights (as the quantizer writes them) are centred once, here.
        self._fixed = []
        for data, s, z in ((1, 8, 9), (2, 10, 11)):
            known = [self.constant(i) for i in (data, s, z)]
            constant = known[0] is not None and known[1] is not None and (known[2] is not None or
                                                                          not input_index(self, z))
            self._fixed.append(self._centred(*known) if constant else None)

    def _centred(self, weights, scale, zero_point):
        """(weights - zero point as float64 [D, K, 4H], float32 scale [D, 1 or 4H])."""
        zp = 0 if zero_point is None else np.asarray(zero_point, np.float64).reshape(self.dirs, 1, -1)
        return weights.astype(np.float64) - zp, np.asarray(scale, np.float32).reshape(self.dirs, -1)

    def input_gates(self, d, xd, w):
        w_centred, scale = self._q[0]
        return _quantized_product(xd, w_centred[d], scale[d])

    def recurrent_gates(self, d, h, r):
        r_centred, scale = self._q[1]
        return _quantized_product(h, r_centred[d], scale[d])

    def run(self, x, w, r, b=None, seq_lens=None, initial_h=None, initial_c=None, p=None,
            w_scale=None, w_zp=None, r_scale=None, r_zp=None):
        # Set per run, read by input_gates/recurrent_gates during it (a node's runs do not overlap).
        self._q = tuple(fixed or self._centred(*args) for fixed, args in
                        zip(self._fixed, ((w, w_scale, w_zp), (r, r_scale, r_zp))))
        # The shared loop takes w and r in LSTM's layout [D, 4H, K] for their shapes; the gates
        # above compute with the centred copies instead.
        return super().run(x, np.swapaxes(w, 1, 2), np.swapaxes(r, 1, 2), b, seq_lens, initial_h, initial_c, p)
