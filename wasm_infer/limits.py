"""Memory limits: what a wasm32 process can hold, checked before allocating.

A WebAssembly module with 32-bit memory addresses at most 4 GiB, and
Pyodide's heap grows up to exactly that (its `WebAssembly.Memory` has
maximum = 4 GiB) and never shrinks. The interpreter, numpy, the model's bytes
and its arrays all live in that one heap, so a model whose tensors (or whose
planned working memory) cannot fit is refused with `ResourceError` before
anything is allocated, rather than failing halfway or growing the heap for
good. The same limits apply natively, so a model that loads in CPython also
fits in the browser.

`WASM_INFER_MAX_MEMORY` (bytes; suffixes K, M, G allowed) lowers the budget,
e.g. for a page that must leave room for other things, and for tests.
"""
import os

from .errors import ResourceError

WASM32_MEMORY = 4 << 30          # the most a wasm32 heap can grow to
MAX_TENSOR_BYTES = 2 << 30       # one array: kernels index with int32, and numpy needs it contiguous
MODEL_BUDGET = 3 << 30           # model bytes + constant tensors: leave ~1 GiB for Python, numpy and the arena

_SUFFIX = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def budget():
    """Bytes a model (file + tensors) or an arena may use: MODEL_BUDGET unless
    WASM_INFER_MAX_MEMORY asks for less."""
    text = os.environ.get("WASM_INFER_MAX_MEMORY", "").strip().upper()
    if not text:
        return MODEL_BUDGET
    scale = _SUFFIX.get(text[-1:], 1)
    try:
        value = int(float(text[:-1] if scale != 1 else text) * scale)
    except ValueError:
        return MODEL_BUDGET
    return max(0, min(value, MODEL_BUDGET))


def _fmt(n):
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


def check_tensor(nbytes, what):
    """Refuse one array of `nbytes` before it is allocated."""
    limit = min(MAX_TENSOR_BYTES, budget())
    if nbytes > limit:
        raise ResourceError(f"{what} needs {_fmt(nbytes)}, more than the {_fmt(limit)} one tensor may use "
                            f"in wasm32 memory")


class Budget:
    """Running total of what a model loads (file bytes + tensors)."""

    def __init__(self, what="the model"):
        self.what, self.used, self.limit = what, 0, budget()

    def add(self, nbytes, item):
        self.used += int(nbytes)
        if self.used > self.limit:
            raise ResourceError(f"{self.what} needs more than {_fmt(self.limit)} of memory (at {item}: "
                                f"{_fmt(self.used)} so far); a wasm32 heap holds at most {_fmt(WASM32_MEMORY)}")


def check_arena(nbytes, what="the memory plan"):
    """For planners: refuse an arena of `nbytes` that cannot fit in wasm32 memory."""
    limit = budget()
    if nbytes > limit:
        raise ResourceError(f"{what} needs an arena of {_fmt(nbytes)}, more than the {_fmt(limit)} "
                            f"available in wasm32 memory (at most {_fmt(WASM32_MEMORY)} in all)")
