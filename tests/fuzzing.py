"""A seeded, time-bounded mutation fuzzer for wasm_infer's model loading and feeds.

No dependency but numpy and wasm_infer, so the same loop runs natively
(tests/test_fuzz.py runs it in a child process with a 4 GiB address-space
limit, like wasm32, and a per-case alarm) and inside Pyodide
(tests/node/robustness.test.mjs copies this file into Pyodide's file system).

Mutations know the protobuf structure (walked with wasm_infer.onnx_schema's
schemas) so they hit the fields that matter instead of weight bytes:
bit flips and random bytes inside structural fields, truncation, length-field
corruption, varint corruption (dims, data types, attribute ints), shuffled,
duplicated and deleted fields, and fields spliced in from elsewhere. Feed
mutations: wrong dtypes, ranks, shapes (including zero-size), layouts
(non-contiguous, Fortran, negative strides, read-only, big-endian), special
values, non-arrays, unknown and missing names.

Every outcome must be success or a WasmInferError subclass (PlanError excepted:
a plan that fails to build is a bug, which the suite runs strict to catch).

    python tests/fuzzing.py --seed 1 --seconds 20 model1.onnx model2.onnx
prints one JSON object: counts per outcome and the failing cases (seed,
case number, mutation, exception and traceback) to reproduce them.
"""
import argparse
import json
import os
import signal
import sys
import time
import traceback

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import wasm_infer  # noqa: E402
from wasm_infer import onnx_schema  # noqa: E402
from wasm_infer.warmup import representative_feeds  # noqa: E402
from wasm_infer.wire_numbers import varint  # noqa: E402


class CaseTimeout(BaseException):
    """Raised by the per-case alarm; a BaseException so no handler in wasm_infer converts it."""


# ---- the protobuf structure ---------------------------------------------------------

def _varint(buf, pos):
    return varint(buf, pos, len(buf))      # the reader's own (a seed model's fields are all well formed)


def encode_varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def encode_field(number, payload):
    """A length-delimited protobuf field: key (wire type 2), length, payload."""
    return encode_varint(number << 3 | 2) + encode_varint(len(payload)) + payload


def walk(buf, schema=onnx_schema.Model, pos=0, end=None, depth=0, out=None):
    """Every field of a valid model: dicts with key (offset of the key), val
    (offset of the value or length varint), payload (offset of a
    length-delimited payload or None), end, wire, name, message (the schema
    name of the field's message), sub (True when the payload is a message),
    depth and parent (index of the enclosing field or -1)."""
    out = [] if out is None else out
    end = len(buf) if end is None else end
    parent = len(out) - 1 if depth else -1
    while pos < end:
        key_pos = pos
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        spec = schema[1].get(number)
        name, kind = (spec[0], spec[1]) if spec else (f"#{number}", None)
        rec = {"key": key_pos, "val": pos, "payload": None, "wire": wire, "name": name,
               "message": schema[0], "sub": False, "depth": depth, "parent": parent}
        if wire == 0:
            _, pos = _varint(buf, pos)
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        elif wire == 2:
            n, pos = _varint(buf, pos)
            rec["payload"] = pos
            pos += n
        else:
            raise ValueError(f"wire type {wire} at {key_pos}")
        rec["end"] = pos
        out.append(rec)
        if wire == 2 and isinstance(kind, tuple):
            rec["sub"] = True
            walk(buf, kind, rec["payload"], pos, depth + 1, out)
    return out


# ---- mutations --------------------------------------------------------------------------

_INTERESTING = [0, 1, 2, 3, 7, 8, 15, 16, 17, 255, 256, 1023, 4096, 65535, 65536, 2**31 - 1, 2**31, 2**32 - 1,
                2**32, 2**40, 2**53, 2**62, 2**63 - 1, -1, -2, -(2**31), -(2**63)]


def _structural(fields):
    """Fields worth mutating: everything but the bulk payloads of tensors."""
    return [f for f in fields if not (f["message"] == "TensorProto" and f["name"] in
                                      ("raw_data", "float_data", "double_data", "int64_data", "int32_data"))]


def mutate(data, rng, fields):
    """One random mutation of `data`: (description, new bytes)."""
    data = bytes(data)
    st = _structural(fields) or fields
    op = rng.choice(["bitflip", "bytes", "truncate", "length", "varint", "shuffle", "duplicate", "delete",
                     "splice", "swap_type"], p=[.14, .08, .06, .16, .18, .1, .07, .09, .06, .06])
    f = st[int(rng.integers(len(st)))]
    if op == "bitflip":
        b = bytearray(data)
        flips = []
        for _ in range(int(rng.integers(1, 9))):
            g = st[int(rng.integers(len(st)))]
            lo = g["key"]
            hi = g["end"] if not g["sub"] else g["payload"]
            if g["payload"] is not None and not g["sub"]:
                hi = min(g["end"], g["payload"] + 16)
            p = int(rng.integers(lo, max(lo + 1, hi)))
            bit = int(rng.integers(8))
            b[p] ^= 1 << bit
            flips.append(f"{p}:{bit}")
        return f"bitflip {' '.join(flips)}", bytes(b)
    if op == "bytes":
        b = bytearray(data)
        p = int(rng.integers(f["key"], max(f["key"] + 1, f["end"])))
        n = int(rng.integers(1, 9))
        b[p:p + n] = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        return f"bytes at {p} x{n} in {f['message']}.{f['name']}", bytes(b)
    if op == "truncate":
        cut = int(rng.integers(0, len(data))) if rng.random() < 0.5 else f["end"] - int(rng.integers(1, 4))
        return f"truncate at {cut}", data[:max(0, cut)]
    if op == "length":
        cands = [g for g in st if g["payload"] is not None] or st
        g = cands[int(rng.integers(len(cands)))]
        if g["payload"] is None:
            return "length (none)", data
        old, _ = _varint(data, g["val"])
        new = int(rng.choice([old + 1, old - 1, old * 2, 0, old + 1000, 2**31, 2**32 + old, 2**63,
                              old + int(rng.integers(-64, 64))])) % 2**64
        return (f"length of {g['message']}.{g['name']} {old}->{new}",
                data[:g["val"]] + encode_varint(new) + data[g["payload"]:])
    if op == "varint":
        cands = [g for g in st if g["wire"] == 0] or st
        g = cands[int(rng.integers(len(cands)))]
        if g["wire"] != 0:
            return "varint (none)", data
        old, p = _varint(data, g["val"])
        new = int(rng.choice(_INTERESTING)) if rng.random() < 0.7 else old + int(rng.integers(-3, 4))
        return (f"varint {g['message']}.{g['name']} {old}->{new}",
                data[:g["val"]] + encode_varint(new) + data[p:])
    # field-level edits within one message: siblings share a parent
    parent = f["parent"]
    sibs = [g for g in fields if g["parent"] == parent]
    if op == "shuffle":
        order = rng.permutation(len(sibs))
        lo, hi = sibs[0]["key"], sibs[-1]["end"]
        body = b"".join(data[sibs[i]["key"]:sibs[i]["end"]] for i in order)
        return f"shuffle {len(sibs)} fields of {f['message']}", _replace(data, fields, parent, lo, hi, body)
    if op == "duplicate":
        chunk = data[f["key"]:f["end"]]
        return (f"duplicate {f['message']}.{f['name']}",
                _replace(data, fields, parent, f["end"], f["end"], chunk))
    if op == "delete":
        return f"delete {f['message']}.{f['name']}", _replace(data, fields, parent, f["key"], f["end"], b"")
    if op == "splice":
        g = st[int(rng.integers(len(st)))]
        chunk = data[g["key"]:g["end"]]
        if len(chunk) > 4096:
            chunk = chunk[:4096]
        return (f"splice {g['message']}.{g['name']} into {f['message']}",
                _replace(data, fields, parent, f["end"], f["end"], chunk))
    # swap_type: re-key a field with another field number / wire type of its message
    key, p = _varint(data, f["key"])
    new = (int(rng.integers(1, 26)) << 3) | (key & 7 if rng.random() < 0.7 else int(rng.choice([0, 1, 2, 5])))
    return f"rekey {f['message']}.{f['name']} {key}->{new}", data[:f["key"]] + encode_varint(new) + data[p:]


def _replace(data, fields, parent, lo, hi, body):
    """data with [lo, hi) replaced by body, fixing the length varints of every
    enclosing message so the edit stays inside its message."""
    delta = len(body) - (hi - lo)
    out = data[:lo] + body + data[hi:]
    chain = []
    while parent >= 0:
        chain.append(fields[parent])
        parent = fields[parent]["parent"]
    for g in chain:    # innermost first; each rewrite happens before lo, so earlier offsets stay valid
        old, p = _varint(out, g["val"])
        new_len = encode_varint(old + delta)
        out = out[:g["val"]] + new_len + out[p:]
        delta += len(new_len) - (p - g["val"])
    return out


# ---- feeds ----------------------------------------------------------------------------

def feed_variants(sess, rng):
    """Yield (description, feeds) of good and bad feeds for `sess`."""
    try:
        base = representative_feeds(sess._input_info.values())
    except wasm_infer.WasmInferError:
        base = {i.name: np.zeros(3, np.float32) for i in sess.get_inputs()}
    names = list(base)
    yield "representative", dict(base)
    if not names:
        return
    name = names[int(rng.integers(len(names)))]
    x = base[name]
    kinds = ["dtype", "rank_up", "rank_down", "shape", "zero", "fortran", "strided", "negstride", "readonly",
             "bigendian", "special", "object", "list", "none", "scalar", "extra", "missing", "notdict",
             "structured", "huge_dim", "bool"]
    for kind in rng.permutation(kinds)[:int(rng.integers(3, 8))]:
        feeds = dict(base)
        if kind == "dtype":
            feeds[name] = x.astype(rng.choice([np.float64, np.int32, np.int64, np.float16, np.uint8]))
        elif kind == "rank_up":
            feeds[name] = x[None]
        elif kind == "rank_down":
            feeds[name] = x.reshape(-1) if x.ndim != 1 else x.reshape(1, -1)
        elif kind == "shape":
            shape = [max(0, d + int(rng.integers(-2, 3))) for d in x.shape]
            feeds[name] = np.resize(x, shape).astype(x.dtype) if 0 not in shape else np.zeros(shape, x.dtype)
        elif kind == "zero":
            shape = list(x.shape)
            if shape:
                shape[int(rng.integers(len(shape)))] = 0
            feeds[name] = np.zeros(shape, x.dtype)
        elif kind == "fortran":
            feeds[name] = np.asfortranarray(x)
        elif kind == "strided":
            big = np.repeat(x, 2, axis=-1) if x.ndim else x
            feeds[name] = big[..., ::2] if x.ndim else x
        elif kind == "negstride":
            feeds[name] = x[..., ::-1] if x.ndim else x
        elif kind == "readonly":
            y = x.copy()
            y.setflags(write=False)
            feeds[name] = y
        elif kind == "bigendian":
            feeds[name] = x.astype(x.dtype.newbyteorder(">")) if x.dtype != object else x
        elif kind == "special":
            y = x.copy()
            if y.dtype.kind == "f" and y.size:
                y.reshape(-1)[rng.integers(0, y.size, 4)] = rng.choice([np.nan, np.inf, -np.inf, 3e38, -0.0])
            feeds[name] = y
        elif kind == "object":
            feeds[name] = x.astype(object)
        elif kind == "list":
            feeds[name] = x.tolist()
        elif kind == "none":
            feeds[name] = None
        elif kind == "scalar":
            feeds[name] = np.float32(1.0)
        elif kind == "extra":
            feeds["no_such_input"] = x
        elif kind == "missing":
            del feeds[name]
        elif kind == "notdict":
            feeds = [x]
        elif kind == "structured":
            feeds[name] = np.zeros(x.shape, [("a", np.float32)])
        elif kind == "huge_dim":
            # a broadcast view: ~2**31 (wasm32) or 2**40 elements claimed, no memory behind them
            huge = 2**15 if np.intp(0).itemsize == 4 else 2**20
            try:
                feeds[name] = np.broadcast_to(np.zeros((1,) * max(1, x.ndim), x.dtype),
                                              (huge,) * 2 + x.shape[2:] if x.ndim >= 2 else (huge * huge,))
            except ValueError:     # too large for this numpy's index type
                continue
        elif kind == "bool":
            feeds[name] = np.zeros(x.shape, np.bool_)
        yield kind, feeds


# ---- the loop ----------------------------------------------------------------------

def _classify(fn):
    try:
        fn()
        return "ok", None
    except wasm_infer.PlanError as e:   # a plan that fails to build is a bug, not a refused input
        return "FAIL", f"PlanError: {e}\n{traceback.format_exc(limit=-6)}"
    except wasm_infer.WasmInferError as e:
        return type(e).__name__, None
    except CaseTimeout:
        raise
    except BaseException as e:  # noqa: BLE001 (that is the point)
        return "FAIL", f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=-6)}"


class Fuzzer:
    def __init__(self, seed, seconds, case_timeout=10.0, run_models=True, alarm=True, log=None):
        self.rng = np.random.default_rng(seed)
        self.seed, self.deadline, self.case_timeout = seed, time.monotonic() + seconds, case_timeout
        self.run_models, self.alarm = run_models, alarm and hasattr(signal, "SIGALRM")
        self.counts, self.failures, self.slow, self.cases = {}, [], [], 0
        self.log = log or (lambda msg: None)

    def _count(self, what):
        self.counts[what] = self.counts.get(what, 0) + 1

    def _guarded(self, label, fn):
        """Run one case with the per-case timeout; record the outcome."""
        self.cases += 1
        t0 = time.monotonic()
        if self.alarm:
            def on_alarm(*_):
                raise CaseTimeout()
            old = signal.signal(signal.SIGALRM, on_alarm)
            signal.setitimer(signal.ITIMER_REAL, self.case_timeout)
        try:
            outcome, detail = _classify(fn)
        except CaseTimeout:
            outcome, detail = "FAIL", f"timeout: more than {self.case_timeout} s"
        finally:
            if self.alarm:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, old)
        ms = (time.monotonic() - t0) * 1e3
        if ms > self.case_timeout * 1e3:
            self.slow.append({"case": label, "ms": round(ms)})
            outcome, detail = "FAIL", detail or f"took {ms:.0f} ms, limit {self.case_timeout} s"
        self._count(outcome)
        if outcome == "FAIL":
            self.failures.append({"seed": self.seed, "case": label, "error": detail})
            self.log(f"FAIL {label}: {detail.splitlines()[0]}")

    def model_case(self, data, fields, label, run_prob=0.5):
        desc, mutated = mutate(data, self.rng, fields)
        holder = {}

        def load_and_run():
            sess = wasm_infer.InferenceSession(mutated)
            holder["sess"] = sess
            if self.run_models and self.rng.random() < run_prob:
                sess.run(None, representative_feeds(sess._input_info.values()))
        self._guarded(f"{label} #{self.cases}: {desc}", load_and_run)

    def feed_cases(self, sess, label):
        for kind, feeds in feed_variants(sess, self.rng):
            self._guarded(f"{label} feeds #{self.cases}: {kind}", lambda f=feeds: sess.run(None, f))

    def time_left(self):
        return time.monotonic() < self.deadline

    def summary(self):
        return {"seed": self.seed, "cases": self.cases, "counts": self.counts, "failures": self.failures[:20],
                "failed": len(self.failures), "slow": self.slow[:10]}


def fuzz_models(models, seed, seconds, case_timeout=10.0, feeds_share=0.25, run_models=True, alarm=True,
                log=None, run_prob=None):
    """models: [(label, bytes, run_prob)]. Round-robin mutation of each model
    until `seconds` pass; every few cases, feed fuzzing of an intact model."""
    fz = Fuzzer(seed, seconds, case_timeout, run_models, alarm, log)
    corpus = [(label, bytes(data), walk(memoryview(data)), p if run_prob is None else run_prob)
              for label, data, p in models]
    sessions = {}
    i = 0
    while fz.time_left():
        label, data, fields, p = corpus[i % len(corpus)]
        if fz.rng.random() < feeds_share:
            if label not in sessions:
                sessions[label] = wasm_infer.InferenceSession(data)
            fz.feed_cases(sessions[label], label)
        else:
            fz.model_case(data, fields, label, p)
        i += 1
    return fz.summary()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="+", help="model files; NAME.onnx:P runs mutated models with probability P")
    ap.add_argument("--seed", type=int, default=int(os.environ.get("WASM_INFER_FUZZ_SEED", "20261123")))
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--case-timeout", type=float, default=10.0)
    ap.add_argument("--address-space", type=int, default=0,
                    help="limit this process's address space to N bytes (RLIMIT_AS), like wasm32's 4 GiB")
    args = ap.parse_args(argv)
    if args.address_space:
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (args.address_space, args.address_space))
    models = []
    for spec in args.models:
        path, _, p = spec.partition(":")
        with open(path, "rb") as f:
            models.append((os.path.basename(path), f.read(), float(p) if p else 0.5))
    result = fuzz_models(models, args.seed, args.seconds, args.case_timeout,
                         log=lambda m: print(m, file=sys.stderr, flush=True))
    print(json.dumps(result))
    return 1 if result["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
