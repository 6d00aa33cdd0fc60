import numpy as np

from .base import Op, register


@register("GlobalAveragePool", since=1)
class GlobalAveragePool(Op):
    def bindable(self, inputs):
        return inputs[0] is not None and inputs[0][1] == np.float32 and len(inputs[0][0]) >= 3

    def bind(self, inputs, outputs):
        x, out = inputs[0], outputs[0]
        # a view: x is an arena view (the spatial size is spelled out: -1 is ambiguous for an empty batch)
        rows = x.reshape(x.shape[0], x.shape[1], int(np.prod(x.shape[2:], dtype=np.int64)))
        flat = out.reshape(out.shape[0], out.shape[1])
        # mean = rows @ (1/n): Pyodide's numpy allocates a 32 KB buffer in
        # add.reduce, matmul with out= allocates nothing
        weights = np.full(rows.shape[2], 1.0 / rows.shape[2] if rows.shape[2] else np.nan, np.float32)

        def run():
            np.matmul(rows, weights, out=flat)
        return run

    def run(self, x):
        axes = tuple(range(2, x.ndim))
        return (np.mean(x, axis=axes, keepdims=True, dtype=np.float64 if x.dtype == np.float64 else None)
                .astype(x.dtype),)
