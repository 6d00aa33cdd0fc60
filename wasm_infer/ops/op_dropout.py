import numpy as np

from .base import Op, register


def dropout(x, ratio, training, seed, want_mask):
    """Inference (or ratio 0) passes x through with an all-true mask. In
    training, elements are kept where a uniform draw is >= ratio and scaled
    by 1 / (1 - ratio); with a `seed` the draws come from the legacy Mersenne
    Twister (numpy RandomState), which is what the ONNX reference uses and is
    bit-identical on every platform, wasm32 included."""
    if not training or ratio == 0:
        out = (x, np.ones(x.shape, np.bool_))
    else:
        rng = np.random.RandomState(seed) if seed is not None else np.random.RandomState()
        keep = rng.uniform(0.0, 1.0, x.shape) >= ratio
        out = ((keep * x * (1.0 / (1.0 - ratio))).astype(x.dtype), keep)
    return out if want_mask else out[:1]


@register("Dropout", since=1)
class Dropout1(Op):
    """Before opset 12, ratio is an attribute and there is no training input
    at inference: the op is the identity (is_test is implied from opset 7)."""
    deterministic = False

    def run(self, x):
        return dropout(x, 0.0, False, None, len(self.node.outputs) > 1)


@register("Dropout", since=12)
class Dropout(Op):
    deterministic = False

    def run(self, x, ratio=None, training_mode=None):
        ratio = 0.5 if ratio is None else float(np.asarray(ratio).reshape(()))
        training = training_mode is not None and bool(np.asarray(training_mode).reshape(()))
        return dropout(x, ratio, training, self.attr("seed"), len(self.node.outputs) > 1)
