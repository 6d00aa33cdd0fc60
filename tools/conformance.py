"""ONNX backend node tests (onnx.backend.test.case.node) against wasm_infer.

    python -m tools.conformance [--filter SUBSTRING] [--verbose]

runs every case natively with the NumPy backend and prints pass counts and
failures. Comparison follows the ONNX backend runner: output count, then per
output shape, dtype, values with the case's rtol/atol (NaN equals NaN),
strings exactly.
"""
import argparse
import sys
import warnings

import numpy as np

# Cases that can never pass by construction: their expected outputs were
# drawn from a random generator the runtime cannot reproduce.
EXCLUDED = {
}


def load_cases(name_filter=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from onnx.backend.test.case.node import collect_testcases
        cases = collect_testcases(None)
    return [c for c in cases if (name_filter is None or name_filter in c.name) and c.name not in EXCLUDED]


def compare(expected, got, rtol, atol):
    """None if `got` matches `expected` (lists of outputs), else the reason."""
    if len(expected) != len(got):
        return f"expected {len(expected)} outputs, got {len(got)}"
    for i, (e, g) in enumerate(zip(expected, got)):
        if isinstance(e, list):
            if not isinstance(g, list) or len(e) != len(g):
                return f"output {i}: expected a sequence of {len(e)}, got {type(g).__name__}"
            reason = compare(e, g, rtol, atol)
            if reason:
                return f"output {i}: {reason}"
            continue
        if e is None or g is None:
            if (e is None) != (g is None):
                return f"output {i}: expected {type(e).__name__}, got {type(g).__name__}"
            continue
        e, g = np.asarray(e), np.asarray(g)
        if e.shape != g.shape:
            return f"output {i}: shape {list(g.shape)}, expected {list(e.shape)}"
        if e.dtype != g.dtype:
            return f"output {i}: dtype {g.dtype}, expected {e.dtype}"
        if e.dtype == object:
            if not np.array_equal(e, g):
                return f"output {i}: strings differ"
            continue
        try:
            np.testing.assert_allclose(g, e, rtol=rtol, atol=atol, equal_nan=True)
        except AssertionError as err:
            detail = [ln for ln in str(err).splitlines() if "Max" in ln or "Mismatched" in ln]
            return f"output {i}: values differ ({'; '.join(s.strip() for s in detail)})"
    return None


def run_case(case, session_factory):
    """None if every data set of `case` passes, else the reason."""
    import wasm_infer
    try:
        sess = session_factory(case.model.SerializeToString())
        names = [i.name for i in sess.get_inputs()]
        for inputs, outputs in case.data_sets:
            feeds = dict(zip(names, inputs))
            got = sess.run(None, feeds)
            reason = compare(list(outputs), got, case.rtol, case.atol)
            if reason:
                return reason
    except wasm_infer.WasmInferError as e:
        return f"{type(e).__name__}: {e}"
    except Exception as e:  # noqa: BLE001 (a crash is a failure with a reason)
        return f"crash {type(e).__name__}: {e}"
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--filter")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    import wasm_infer
    cases = load_cases(args.filter)
    failures = {}
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for case in cases:
            reason = run_case(case, lambda b: wasm_infer.InferenceSession(b, backend="numpy"))
            if reason:
                failures[case.name] = reason
    for name, reason in sorted(failures.items()):
        print(f"FAIL {name}: {reason[:300]}" if args.verbose else f"FAIL {name}: {reason[:160]}")
    print(f"native: {len(cases) - len(failures)} passed of {len(cases)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
