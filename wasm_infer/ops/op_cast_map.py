import numpy as np

from ..errors import InputError, ModelError
from ..limits import check_output
from .base import Op, register

_TO = {"TO_FLOAT": np.dtype(np.float32), "TO_INT64": np.dtype(np.int64), "TO_STRING": np.dtype(object)}


@register("CastMap", since=1, domain="ai.onnx.ml")
class CastMap(Op):
    """A map with int64 keys as one row, cast to float, int64 or strings
    (cast_to). DENSE: the values in key order, one column each. SPARSE: a row
    of max_map columns, each value at the column its key names (keys from
    max_map on are dropped; negative keys are refused; empty string columns
    hold "0.f"). As onnxruntime: floats become int64 by truncation and strings
    as C's "%f" writes them."""

    def init(self):
        where = f"node {self.node.name!r} (CastMap)"
        cast_to, self.form = self.attr("cast_to", "TO_FLOAT"), self.attr("map_form", "DENSE")
        if cast_to not in _TO or self.form not in ("DENSE", "SPARSE"):
            raise ModelError(f"{where}: cast_to {cast_to!r} must be one of {sorted(_TO)} and map_form "
                             f"{self.form!r} DENSE or SPARSE")
        self.dtype, self.width = _TO[cast_to], self.attr("max_map", 1)
        if self.width < 1:
            raise ModelError(f"{where}: max_map {self.width} must be at least 1")

    def run(self, m):
        where = f"node {self.node.name!r} (CastMap)"
        if not isinstance(m, dict) or not all(isinstance(k, int) for k in m):
            raise InputError(f"{where}: its input must be a map with int64 keys (a dict), got {type(m).__name__}")
        keys = sorted(m)
        if self.form == "SPARSE":
            if keys and keys[0] < 0:
                raise InputError(f"{where}: key {keys[0]} is negative; a SPARSE map's keys are column indices")
            keys = [k for k in keys if k < self.width]
            check_output(self, (1, self.width), self.dtype.itemsize)
            out = np.zeros((1, self.width), self.dtype)
            if self.dtype == object:
                out[...] = "0.f"        # onnxruntime's filler for strings (the ONNX-ML text names none)
            out[0, keys] = self._cast([m[k] for k in keys])
            return (out,)
        return (self._cast([m[k] for k in keys]).reshape(1, -1),)

    def _cast(self, values):
        if self.dtype == object:
            return np.array([v if isinstance(v, str) else "%f" % v for v in values], object)
        try:
            return np.array([float(v) if isinstance(v, str) else v for v in values], np.float64).astype(self.dtype)
        except ValueError as e:
            raise InputError(f"node {self.node.name!r} (CastMap): a value does not convert to "
                             f"{self.dtype}: {e}") from None
