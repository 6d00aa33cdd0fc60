import itertools

import numpy as np

from ..errors import InputError
from ..limits import check_output
from .base import Op, register
from ._sample import gather


def _reflect(x, lo, hi):
    """Fold x into [lo, hi] by mirroring at the borders (repeatedly)."""
    span = hi - lo
    if span <= 0:
        return np.full_like(x, lo)
    below, above = x < lo, x > hi
    d = np.where(below, lo - x, x - hi)
    n = np.floor(d / span)
    r = d - n * span
    even = n % 2 == 0
    folded = np.where(below, np.where(even, lo + r, hi - r), np.where(even, hi - r, lo + r))
    return np.where(below | above, folded, x)


def _cubic_weights(t, a=-0.75):
    """Keys cubic weights for taps at offsets -1, 0, 1, 2 from floor(x), t = x - floor(x)."""
    def near(s):
        return ((a + 2) * s - (a + 3)) * s * s + 1

    def far(s):
        return ((a * s - 5 * a) * s + 8 * a) * s - 4 * a
    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


@register("GridSample", since=16)
class GridSample(Op):
    """Sample X (N, C, *S) at grid (N, *out, rank) — grid's last axis lists
    coordinates in reverse axis order (x = width first) normalised to
    [-1, 1]. Out-of-range coordinates are clamped (border) or mirrored
    (reflection) first; then each interpolation tap outside the image reads
    0 (zeros), the edge (border) or its mirror (reflection), as PyTorch."""
    def init(self):
        mode = self.attr("mode", "linear" if self.ctx.opset("") >= 20 else "bilinear")
        self.mode = {"bilinear": "linear", "bicubic": "cubic"}.get(mode, mode)
        self.padding = self.attr("padding_mode", "zeros")
        self.align = bool(self.attr("align_corners", 0))
        if self.mode not in ("linear", "cubic", "nearest") or self.padding not in ("zeros", "border", "reflection"):
            raise InputError(f"node {self.node.name!r} (GridSample): unsupported mode {mode!r} / "
                             f"padding_mode {self.padding!r}")

    def run(self, x, grid):
        sizes = x.shape[2:]
        rank = len(sizes)
        if grid.shape[-1] != rank or grid.shape[0] != x.shape[0]:
            raise InputError(f"node {self.node.name!r} (GridSample): grid {list(grid.shape)} does not fit "
                             f"input {list(x.shape)}")
        # every channel at every grid point, in float64: [N, C, 1] with [N, P, 2] is C * P
        check_output(self, (x.shape[0], x.shape[1], *grid.shape[1:-1]), 8)
        xf = x.astype(np.float64)
        g = grid.astype(np.float64)
        axes = []           # per axis: list of (index, weight, inside)
        for a, d in enumerate(sizes):
            n = g[..., rank - 1 - a]
            c = (n + 1) / 2 * (d - 1) if self.align else ((n + 1) * d - 1) / 2
            lo, hi = (0.0, d - 1.0) if self.align else (-0.5, d - 0.5)
            if self.mode == "nearest":
                c = np.rint(c)
            # Nearest and linear fold the coordinate itself into range first;
            # cubic (as PyTorch and onnxruntime) only folds each of its taps.
            if self.padding == "border" and self.mode != "cubic":
                c = np.clip(c, 0, d - 1)
            elif self.padding == "reflection" and self.mode != "cubic":
                c = _reflect(c, lo, hi)
            if self.mode == "nearest":
                taps = [(np.trunc(c), np.ones_like(c))]
            else:
                base = np.floor(c)
                t = c - base
                if self.mode == "linear":
                    taps = [(base, 1 - t), (base + 1, t)]
                else:
                    taps = [(base + k - 1, w) for k, w in enumerate(_cubic_weights(t))]
            resolved = []
            for i, w in taps:
                if self.padding == "border":
                    i = np.clip(i, 0, d - 1)
                elif self.padding == "reflection":
                    i = np.trunc(_reflect(i, lo, hi))
                inside = (i >= 0) & (i < d)
                resolved.append((np.clip(i, 0, d - 1).astype(np.intp), w, inside))
            axes.append(resolved)
        y = 0
        for combo in itertools.product(*axes):
            weight, inside = 1.0, True
            for _, w, ok in combo:
                weight, inside = weight * w, inside & ok
            y = y + gather(xf, [i for i, _, _ in combo]) * np.where(inside, weight, 0.0)[:, None]
        return (np.asarray(y).astype(x.dtype),)
