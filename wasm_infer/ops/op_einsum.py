import math
import re

import numpy as np

from ..errors import ResourceError
from .. import limits
from ..limits import broadcast_dims, check_output
from .base import Op, register
from ._elementwise import same_dtype

# np.einsum's own loop visits every point of the space of all the indices: "i,j,k,l,m->" of five
# 4 kB vectors is 10**15 multiply-adds (days), uninterruptible. Up to NAIVE_WORK points it runs as
# written (about a second natively); past that in the order np.einsum_path finds (pairwise, on
# BLAS: that one is 4 * 10**6), which must take at most limits.MAX_WORK operations by NumPy's count.
NAIVE_WORK = 1 << 30


@register("Einsum", since=12)
class Einsum(Op):
    """np.einsum follows the same conventions (ellipsis, implicit output in
    ASCII order); ONNX allows spaces, NumPy does not."""
    def init(self):
        self.equation = self.required_attr("equation").replace(" ", "")
        self._paths = {}        # input shapes -> the contraction order, when the naive loop is too long

    def run(self, *xs):
        shapes = [x.shape for x in xs]
        parsed = _parse(self.equation, shapes)
        if parsed is None:          # np.einsum says what is wrong
            return (same_dtype(np.einsum(self.equation, *xs), xs[0]),)
        sizes, ell, _ = parsed
        itemsize = max(x.dtype.itemsize for x in xs)
        dims = _output_dims(*parsed)
        if dims is not None:        # "i,j->ij" of two small vectors is their outer product
            check_output(self, dims, itemsize)
        if math.prod(sizes.values()) * math.prod(ell) <= NAIVE_WORK:
            return (same_dtype(np.einsum(self.equation, *xs), xs[0]),)
        key = tuple(shapes)
        path = self._paths.get(key)
        if path is None:
            path, info = np.einsum_path(self.equation, *xs, optimize="greedy")
            naive, work, largest = (_figure(info, f) for f in ("Naive FLOP count", "Optimized FLOP count",
                                                               "Largest intermediate"))
            if work is None or work > limits.MAX_WORK:
                raise ResourceError(f"node {self.node.name!r} (Einsum): {self.equation!r} on inputs of shapes "
                                    f"{[list(s) for s in shapes]} takes {naive or 0:.1e} operations as written and "
                                    f"{work or 0:.1e} in the best order NumPy finds, more than the "
                                    f"{limits.MAX_WORK:.1e} one node may take")
            check_output(self, (int(largest or 0),), itemsize)      # the order's largest intermediate
            if len(self._paths) >= 8:
                self._paths.clear()
            self._paths[key] = path
        return (same_dtype(np.einsum(self.equation, *xs, optimize=path), xs[0]),)


def _figure(info, name):
    """A number from np.einsum_path's report ("  Optimized FLOP count:  4.002e+06"), or None."""
    m = re.search(rf"{name}:\s*([0-9.eE+-]+)", info)
    return float(m.group(1)) if m else None


def output_dims(equation, shapes):
    """The shape np.einsum makes of operands of `shapes`, or None for an
    equation it would refuse (it then says why)."""
    parsed = _parse(equation, shapes)
    return None if parsed is None else _output_dims(*parsed)


def _output_dims(sizes, ell, out):
    dims = []
    for c in out:
        if c == "*":
            dims += ell
        elif c in sizes:
            dims.append(sizes[c])
        else:
            return None
    return dims


def _parse(equation, shapes):
    """(letter -> dim, the broadcast ellipsis dims, the output's letters
    with "*" for the ellipsis), or None for an equation np.einsum refuses."""
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.replace("...", "*").split(",")
    if len(terms) != len(shapes):
        return None
    sizes, ellipses = {}, []
    for term, shape in zip(terms, shapes):
        if term.count("*") > 1 or len(term) - term.count("*") > len(shape):
            return None
        star = term.find("*")
        n_ell = len(shape) - (len(term) - 1) if star >= 0 else 0
        if star < 0 and len(term) != len(shape):
            return None
        pos = 0
        for c in term:
            if c == "*":
                ellipses.append(shape[pos:pos + n_ell])
                pos += n_ell
            else:
                d = shape[pos]
                sizes[c] = d if sizes.get(c, 1) == 1 else sizes[c]
                pos += 1
    ell = broadcast_dims(ellipses)      # the ellipsis dims of every operand
    if not arrow:           # implicit output: the ellipsis, then letters seen once, in ASCII order
        letters = lhs.replace("...", "").replace(",", "")
        out = "*" * bool(ellipses) + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    else:
        out = rhs.replace("...", "*")
    return sizes, ell, out
