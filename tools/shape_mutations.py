"""Where wasm_infer and onnxruntime disagree on inputs that do not fit: every ONNX backend node
test, natively, with one input cut short by one element along its last axis (or, with --grow,
grown by one), the graph's declared shapes made symbolic so that only the ops can notice.

Each mutated run is classified: both refuse; both run (equal, or DIFF); onnxruntime refuses
and we run (a result for an input that does not fit: worth a look); we refuse and it runs; and
"ours unexpected" when our refusal is a ModelError wrapping a NumPy error rather than an error
that names the input. Prints the counts, then the cases of each class but the first two.

    .venv/bin/python tools/shape_mutations.py [--grow] [--filter NAME] [--limit N]

tests/test_invalid_shapes.py keeps the cases this found as tests.
"""
import argparse
import collections
import os
import signal
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402

import wasm_infer  # noqa: E402
from tools import conformance  # noqa: E402


class _Timeout(Exception):
    pass


def _alarm(*_):
    raise _Timeout()


def _symbolic(model):
    """A copy whose graph inputs have symbolic dims and whose outputs have no shape."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    for vi in model.graph.output:
        if vi.type.HasField("tensor_type"):
            vi.type.tensor_type.ClearField("shape")
    for vi in model.graph.input:
        if vi.type.HasField("tensor_type") and vi.type.tensor_type.HasField("shape"):
            for j, dim in enumerate(vi.type.tensor_type.shape.dim):
                dim.Clear()
                dim.dim_param = f"{vi.name}_{j}"
    return model


def _same(a, b):
    if len(a) != len(b):
        return False
    for p, q in zip(a, b):
        try:
            p, q = np.asarray(p), np.asarray(q)
        except ValueError:      # sequences: not compared
            continue
        if p.shape != q.shape:
            return False
        if p.dtype.kind in "fc":
            if not np.allclose(p, q, rtol=1e-3, atol=1e-4, equal_nan=True):
                return False
        elif not np.array_equal(p, q):
            return False
    return True


def classify(case, grow):
    """[(input name, class, our error, onnxruntime's error)] for one node test."""
    try:
        arrays = [conformance.as_array(x) for x in case.data_sets[0][0]]
    except Exception:  # noqa: BLE001 (a data set numpy cannot hold)
        return []
    model = _symbolic(case.model)
    names = [i.name for i in model.graph.input if i.name not in {t.name for t in model.graph.initializer}]
    if len(names) != len(arrays):
        return []
    data = model.SerializeToString()
    try:
        theirs = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
        ours = wasm_infer.InferenceSession(data)
    except Exception:  # noqa: BLE001 (either cannot load the case at all: not this tool's question)
        return []
    out = []
    for k, a in enumerate(arrays):
        if not isinstance(a, np.ndarray) or a.ndim == 0 or a.shape[-1] < 2 or a.dtype.kind not in "fiub":
            continue
        feeds = dict(zip(names, arrays))
        feeds[names[k]] = np.concatenate([a, a[..., -1:]], axis=-1) if grow else a[..., :-1]
        try:
            want, their_error = theirs.run(None, feeds), ""
        except Exception as e:  # noqa: BLE001
            want, their_error = None, str(e)[:100]
        signal.alarm(10)
        try:
            got, our_error = ours.run(None, feeds), ""
        except _Timeout:
            got, our_error = None, "TIMEOUT"
        except wasm_infer.WasmInferError as e:
            got, our_error = None, f"{type(e).__name__}: {e}"[:200]
        except Exception as e:  # noqa: BLE001
            got, our_error = None, f"NOT A WasmInferError {type(e).__name__}: {e}"[:200]
        finally:
            signal.alarm(0)
        if our_error == "TIMEOUT" or our_error.startswith("NOT A"):
            kind = our_error[:40]
        elif want is None and got is None:
            kind = "both refuse" + (" (ours unexpected)" if "failed on inputs" in our_error else "")
        elif want is not None and got is not None:
            kind = "both run" + ("" if _same(want, got) else ", DIFF")
        elif want is None:
            kind = "onnxruntime refuses, we run"
        else:
            kind = "we refuse, onnxruntime runs"
        out.append((names[k], kind, our_error, their_error))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--grow", action="store_true", help="grow the input by one element instead")
    ap.add_argument("--filter", default=None, help="only node tests whose name contains this")
    ap.add_argument("--limit", type=int, default=60, help="cases listed per class")
    args = ap.parse_args()
    ort.set_default_logger_severity(4)
    warnings.simplefilter("ignore")
    signal.signal(signal.SIGALRM, _alarm)
    counts, listed = collections.Counter(), collections.defaultdict(list)
    for case in conformance.load_cases(args.filter):
        for name, kind, ours, theirs in classify(case, args.grow):
            counts[kind] += 1
            listed[kind].append(f"{case.name} {name} | {ours} | {theirs}")
    for kind, n in sorted(counts.items()):
        print(f"{n:6d}  {kind}")
    for kind, lines in listed.items():
        if kind in ("both refuse", "both run"):
            continue
        print(f"\n== {kind} ({len(lines)})")
        for line in lines[:args.limit]:
            print("  ", line)


if __name__ == "__main__":
    main()
