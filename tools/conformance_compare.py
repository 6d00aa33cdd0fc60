"""Output comparison for the conformance runner, as the ONNX backend runner
does it: output count, then per output shape, dtype and values with the
case's rtol/atol (NaN equals NaN), strings exactly; sequences element-wise;
empty optionals (None) only match None.

`run_case` runs a case twice in one session: the first run records and
builds the memory plan (session.py `_run`, plan.py), the second goes through
that plan; each is compared on its own. It counts the wasm kernel calls of
the case (KernelCounter), so a report can say which cases exercised kernels.

Imports only numpy and wasm_infer, so it runs natively and inside Pyodide
(tools/conformance_pyodide.mjs copies this file into Pyodide's file system).
"""
from collections import Counter

import numpy as np

from wasm_infer import dtypes

RUNS = ("first", "planned")


def compare(expected, got, rtol, atol, where="output"):
    """None if `got` matches `expected` (lists of outputs), else the reason."""
    if len(expected) != len(got):
        return f"expected {len(expected)} outputs, got {len(got)}"
    for i, (e, g) in enumerate(zip(expected, got)):
        reason = compare_value(e, g, rtol, atol)
        if reason:
            return f"{where} {i}: {reason}"
    return None


def compare_value(e, g, rtol, atol):
    if isinstance(e, list):
        if not isinstance(g, list):
            return f"expected a sequence of {len(e)}, got {type(g).__name__}"
        if len(e) != len(g):
            return f"expected a sequence of {len(e)}, got one of {len(g)}"
        return compare(e, g, rtol, atol, where="element")
    if e is None or g is None:
        return None if e is None and g is None else f"expected {type(e).__name__}, got {type(g).__name__}"
    if not isinstance(g, np.ndarray):
        return f"expected an array, got {type(g).__name__}"
    e = np.asarray(e)
    if e.shape != g.shape:
        return f"shape {list(g.shape)}, expected {list(e.shape)}"
    if e.dtype != g.dtype:
        return f"dtype {g.dtype}, expected {e.dtype}"
    if e.dtype == object:
        return None if np.array_equal(e, g) else "strings differ"
    if dtypes.is_exotic(e.dtype):
        e, g = dtypes.to_float32(e), dtypes.to_float32(g)
    try:
        np.testing.assert_allclose(g, e, rtol=rtol, atol=atol, equal_nan=True)
    except AssertionError as err:
        detail = [ln.strip() for ln in str(err).splitlines() if "Max" in ln or "Mismatched" in ln]
        return f"values differ ({'; '.join(detail)})"
    return None


class KernelCounter:
    """Counts calls of the wasm kernels by wrapping the kernel table of
    wasm_infer.kernels (as examples/classify.ipynb does). Every kernel call,
    bound runners included, goes through a function taken from that table
    when the op binds, so wrapping it before a session is made sees them all."""

    def __init__(self):
        self.calls = Counter()
        self._table = None

    def install(self):
        """Wrap the table of the loaded kernel module; False when there are no kernels."""
        from wasm_infer import kernels
        if not kernels.available():
            return False
        table = getattr(getattr(kernels, "_State", None), "funcs", None)
        if not table:
            raise RuntimeError("wasm_infer.kernels has no kernel table (_State.funcs) to count calls in")
        if table is not self._table:
            for name, fn in list(table.items()):
                table[name] = self._counting(name, fn)
            self._table = table
        return True

    def _counting(self, name, fn):
        calls = self.calls

        def call(*args):
            calls[name] += 1
            return fn(*args)
        return call


def run_case(case, backend="numpy", counter=None):
    """Run a portable case (see tools/conformance.py) twice in one session.

    Returns {"first": reason, "planned": reason, "plan": bool, "kernels":
    {name: calls}}: a reason is None when every data set matched. "plan" says
    whether the session holds a memory plan after the first run (the second
    run then went through it); "kernels" counts both runs (needs a counter
    installed before). Creation and run errors are failures with a reason."""
    import wasm_infer
    result = {"first": None, "planned": None, "plan": False, "kernels": {}}
    if counter is not None:
        counter.calls.clear()
    try:
        sess = wasm_infer.InferenceSession(case["model"], backend=backend)
    except Exception as e:  # noqa: BLE001 (a crash is a failure with a reason)
        result["first"] = result["planned"] = _error(e, wasm_infer)
        return result
    names = [i.name for i in sess.get_inputs()]
    for run in RUNS:
        try:
            for inputs, outputs in case["data_sets"]:
                # Natively run() returns ml_dtypes arrays; compare in our representation, like `outputs`.
                got = [dtypes.from_ml_dtypes(g) for g in sess.run(None, dict(zip(names, inputs)))]
                reason = compare(outputs, got, case["rtol"], case["atol"])
                if reason:
                    result[run] = reason
                    break
        except Exception as e:  # noqa: BLE001
            result[run] = _error(e, wasm_infer)
        if run == "first":
            result["plan"] = bool(sess.memory_info()["plans"])
    if counter is not None:
        result["kernels"] = dict(counter.calls)
    return result


def _error(e, wasm_infer):
    if isinstance(e, wasm_infer.WasmInferError):
        return f"{type(e).__name__}: {e}"
    return f"crash {type(e).__name__}: {e}"
