import numpy as np

from .base import Op, register


@register("Scaler", since=1, domain="ai.onnx.ml")
class Scaler(Op):
    """(x - offset) * scale per feature (the last axis), as float32: what
    scikit-learn's StandardScaler and MinMaxScaler export to."""

    def init(self):
        self.offset = np.asarray(self.attr("offset", [0.0]), np.float32)
        self.scale = np.asarray(self.attr("scale", [1.0]), np.float32)

    def run(self, x):
        features = x.shape[-1] if x.ndim else 1
        for name, v in (("offset", self.offset), ("scale", self.scale)):
            if v.size not in (1, features):
                raise ValueError(f"Scaler has {v.size} {name} values for {features} features")
        return (((x.astype(np.float32) - self.offset) * self.scale).astype(np.float32),)
