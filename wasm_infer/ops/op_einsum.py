import numpy as np

from ..limits import broadcast_dims, check_output
from .base import Op, register
from ._elementwise import same_dtype


@register("Einsum", since=12)
class Einsum(Op):
    """np.einsum follows the same conventions (ellipsis, implicit output in
    ASCII order); ONNX allows spaces, NumPy does not."""
    def init(self):
        self.equation = self.required_attr("equation").replace(" ", "")

    def run(self, *xs):
        dims = output_dims(self.equation, [x.shape for x in xs])
        if dims is not None:        # "i,j->ij" of two small vectors is their outer product
            check_output(self, dims, max(x.dtype.itemsize for x in xs))
        return (same_dtype(np.einsum(self.equation, *xs), xs[0]),)


def output_dims(equation, shapes):
    """The shape np.einsum makes of operands of `shapes`, or None for an
    equation it would refuse (it then says why)."""
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
    dims = []
    for c in out:
        if c == "*":
            dims += ell
        elif c in sizes:
            dims.append(sizes[c])
        else:
            return None
    return dims
