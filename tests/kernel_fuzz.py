"""Fuzz the checked kernel wrappers (wasm_infer.kernels.bind_*) inside Pyodide:
random good and bad shapes, strides, dtypes, alignments and parameters. Each
call must either raise ValueError at bind time or run and write nothing
outside its output: every array lives inside one canary-filled block whose
bytes outside `out` are compared after the call. Used by
tests/node/robustness.test.mjs."""
import time

import numpy as np

from wasm_infer import kernels as K

CANARY = 0x5A


class Block:
    """Arrays carved out of one canary-filled buffer."""

    def __init__(self, nbytes=1 << 20):
        self.buf = np.full(nbytes, CANARY, np.uint8)
        self.cursor = 64

    def array(self, shape, rng, dtype=np.float32):
        dtype = np.dtype(dtype)
        n = int(np.prod(shape)) if shape else 1
        mis = int(rng.choice([0, 0, 0, 0, 1, 2]))
        start = self.cursor + mis
        nbytes = n * dtype.itemsize
        if start + nbytes + 256 > self.buf.size:
            return None
        self.cursor = (start + nbytes + 64 + 63) & ~63
        arr = self.buf[start:start + nbytes].view(dtype).reshape(shape) if not mis else \
            np.ndarray(shape, dtype, buffer=self.buf.data, offset=start)
        arr[...] = rng.standard_normal(shape).astype(dtype) if dtype.kind == "f" else 1
        r = rng.random()
        if r < 0.08 and arr.ndim >= 2:
            arr = arr.swapaxes(-1, -2)           # non-contiguous
        elif r < 0.14 and arr.ndim >= 1 and arr.shape[-1] > 1:
            arr = arr[..., ::2]
        return arr


def _dims(rng, k, hi=9):
    return [int(rng.integers(0 if rng.random() < 0.05 else 1, hi)) for _ in range(k)]


def _case(rng, blk):
    """(name, arrays, bind thunk) for one random wrapper call."""
    dt = np.float32 if rng.random() < 0.9 else rng.choice([np.float64, np.int32, np.float16])
    kind = rng.choice(["gemm", "gemm_packed", "conv_nchw", "conv_nhwc", "unary", "binary", "gap", "pool",
                       "softmax"])
    jitter = lambda v: v + int(rng.integers(-1, 2)) if rng.random() < 0.15 else v  # noqa: E731
    if kind in ("gemm", "gemm_packed"):
        m, k, n = _dims(rng, 3, 12)
        a = blk.array((m, jitter(k)), rng, dt)
        out = blk.array((jitter(m), n), rng)
        if kind == "gemm":
            b = blk.array((k, jitter(n)), rng)
            bias = blk.array((jitter(n),), rng) if rng.random() < 0.5 else None
            return kind, (a, b, bias, out), lambda: K.bind_gemm(a, b, bias, out)
        b = rng.standard_normal((jitter(k), n)).astype(np.float32)
        return kind, (a, out), lambda: K.bind_gemm_packed(a, K.pack_gemm(b), out)
    if kind in ("conv_nchw", "conv_nhwc"):
        n, c, h, w = _dims(rng, 4, 7)
        group = int(rng.choice([1, 1, c or 1, 2]))
        m = int(rng.choice([c, 4, 3])) or 1
        kh, kw = _dims(rng, 2, 4)
        strides = (int(rng.integers(0 if rng.random() < .05 else 1, 3)), int(rng.integers(1, 3)))
        pads = tuple(int(rng.integers(-1 if rng.random() < .05 else 0, 3)) for _ in range(4))
        dil = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
        try:
            oh, ow = K.conv_output_hw(h, w, kh, kw, strides, pads, dil)
        except ZeroDivisionError:
            oh, ow = 1, 1
        oh, ow = max(jitter(oh), 0), max(jitter(ow), 0)
        wt = rng.standard_normal((m, max(c // max(group, 1), 1), kh, kw)).astype(np.float32)
        if kind == "conv_nchw":
            x, out = blk.array((n, c, h, w), rng, dt), blk.array((n, m, oh, ow), rng)
            return kind, (x, out), lambda: K.bind_conv2d_nchw(x, wt, None, out, strides, pads, dil, group)
        x, out = blk.array((n, h, w, c), rng, dt), blk.array((n, oh, ow, m), rng)
        return kind, (x, out), lambda: K.bind_conv2d_nhwc(x, K.pack_conv2d_nhwc(wt, None, group), out,
                                                          (kh, kw), strides, pads, dil, group)
    shape = tuple(_dims(rng, int(rng.integers(1, 5)), 6))
    if kind == "unary":
        x, out = blk.array(shape, rng, dt), blk.array(tuple(jitter(d) for d in shape), rng)
        return kind, (x, out), lambda: K.bind_unary(str(rng.choice(list(K.UNARY_OPS))), x, out)
    if kind == "binary":
        bshape = tuple(d if rng.random() < 0.7 else rng.choice([1, d + 1]) for d in shape)
        a, b, out = blk.array(shape, rng, dt), blk.array(bshape, rng), blk.array(shape, rng)
        return kind, (a, b, out), lambda: K.bind_binary(str(rng.choice(list(K.BINARY_OPS))), a, b, out)
    if kind == "gap":
        n, h, w, c = _dims(rng, 4, 6)
        x, out = blk.array((n, h, w, c), rng, dt), blk.array((n, 1, 1, jitter(c)), rng)
        return kind, (x, out), lambda: K.bind_global_avg_pool_nhwc(x, out)
    if kind == "pool":
        n, h, w, c = _dims(rng, 4, 7)
        kh, kw = _dims(rng, 2, 4)
        oh, ow = max(jitter(h - kh + 1), 0), max(jitter(w - kw + 1), 0)
        x, out = blk.array((n, h, w, c), rng, dt), blk.array((n, oh, ow, c), rng)
        return kind, (x, out), lambda: K.bind_pool2d_nhwc(str(rng.choice(["max", "avg"])), x, out, (kh, kw))
    x, out = blk.array(shape, rng, dt), blk.array(tuple(jitter(d) for d in shape), rng)
    return kind, (x, out), lambda: K.bind_softmax(x, out)


def fuzz(seed, seconds):
    rng = np.random.default_rng(seed)
    deadline = time.monotonic() + seconds
    counts, holes, cases = {}, [], 0
    while time.monotonic() < deadline:
        blk = Block()
        try:
            name, arrays, bind = _case(rng, blk)
        except (ValueError, TypeError):
            continue
        if any(a is None for a in arrays if a is not None and not isinstance(a, np.ndarray)) or \
                any(a is None for a in arrays[-1:]):
            continue
        cases += 1
        out = arrays[-1]
        before = blk.buf.copy()
        try:
            runner = bind()
            runner()
            outcome = "ran"
        except ValueError:
            outcome = "ValueError"
        except Exception as e:  # noqa: BLE001
            outcome = "other"
            holes.append(f"{name}: {type(e).__name__}: {e}")
        # bytes outside out's extent must be untouched
        changed = np.flatnonzero(blk.buf != before)
        if changed.size:
            base = blk.buf.ctypes.data
            lo = out.ctypes.data - base
            hi = lo + (out.nbytes if out.flags.c_contiguous else
                       sum((s - 1) * abs(st) for s, st in zip(out.shape, out.strides)) + out.itemsize)
            outside = changed[(changed < lo) | (changed >= hi)]
            if outside.size:
                holes.append(f"{name}: wrote {outside.size} bytes outside out "
                             f"(shapes {[getattr(a, 'shape', None) for a in arrays]})")
        counts[f"{name}:{outcome}"] = counts.get(f"{name}:{outcome}", 0) + 1
    return {"cases": cases, "counts": counts, "holes": holes[:20], "n_holes": len(holes)}
