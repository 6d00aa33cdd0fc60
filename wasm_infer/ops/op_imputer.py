import numpy as np

from ..errors import UnsupportedError
from .base import Op, register


@register("Imputer", since=1, domain="ai.onnx.ml")
class Imputer(Op):
    """Replaces the missing value (NaN by default for floats) of each feature
    by that feature's imputed value (one value for all features, or one per
    feature): scikit-learn's SimpleImputer."""

    def init(self):
        floats, ints = self.attr("imputed_value_floats"), self.attr("imputed_value_int64s")
        if floats:
            self.values, self.missing = np.asarray(floats, np.float32), self.attr("replaced_value_float", 0.0)
        elif ints:
            self.values, self.missing = np.asarray(ints, np.int64), self.attr("replaced_value_int64", 0)
        else:
            raise UnsupportedError("Imputer needs imputed_value_floats or imputed_value_int64s")

    def run(self, x):
        if (x.dtype.kind == "f") != (self.values.dtype.kind == "f"):
            raise ValueError(f"Imputer's imputed values are {self.values.dtype}, its input {x.dtype}: "
                             "float values go with a float input, int64 values with an integer one")
        if x.dtype.kind in "iu" and (self.values.astype(x.dtype) != self.values).any():
            raise ValueError(f"Imputer's imputed values do not fit the input's {x.dtype}")
        if self.values.size not in (1, x.shape[-1]):
            raise ValueError(f"Imputer has {self.values.size} imputed values for {x.shape[-1]} features")
        missing = np.isnan(x) if isinstance(self.missing, float) and np.isnan(self.missing) else x == self.missing
        return (np.where(missing, self.values.astype(x.dtype), x),)
