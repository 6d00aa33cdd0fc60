"""Output comparison for the conformance runner, as the ONNX backend runner
does it: output count, then per output shape, dtype and values with the
case's rtol/atol (NaN equals NaN), strings exactly; sequences element-wise;
empty optionals (None) only match None.

Imports only numpy and wasm_infer, so it runs natively and inside Pyodide
(tools/conformance_pyodide.mjs copies this file into Pyodide's file system).
"""
import numpy as np

from wasm_infer import dtypes


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


def run_case(case, backend="numpy"):
    """None if every data set of a portable case (see tools/conformance.py)
    passes, else the reason. Creation and run errors are failures with a reason."""
    import wasm_infer
    try:
        sess = wasm_infer.InferenceSession(case["model"], backend=backend)
        names = [i.name for i in sess.get_inputs()]
        for inputs, outputs in case["data_sets"]:
            got = sess.run(None, dict(zip(names, inputs)))
            reason = compare(outputs, got, case["rtol"], case["atol"])
            if reason:
                return reason
    except wasm_infer.WasmInferError as e:
        return f"{type(e).__name__}: {e}"
    except Exception as e:  # noqa: BLE001 (a crash is a failure with a reason)
        return f"crash {type(e).__name__}: {e}"
    return None
