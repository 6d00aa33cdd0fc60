import numpy as np

from ..errors import InputError
from ..limits import check_output
from .base import Op, register


def _base_coords(n, align_corners):
    """Normalised [-1, 1] sample positions along an axis of n pixels:
    pixel centres, or (align_corners) the corner pixels at exactly ±1 — a
    single pixel then sits at -1, as torch.linspace(-1, 1, 1) does."""
    i = np.arange(n, dtype=np.float64)
    if align_corners:
        return -1 + 2 * i / (n - 1) if n > 1 else np.full(n, -1.0)
    return -1 + (2 * i + 1) / n


@register("AffineGrid", since=20)
class AffineGrid(Op):
    """theta (N, r, r+1) applied to the homogeneous base grid of size
    (N, C, *spatial): grid (N, *spatial, r) with coordinates listed
    x (width) first, as GridSample reads them."""
    def run(self, theta, size):
        spatial = [int(s) for s in size[2:]]
        r = len(spatial)
        if theta.shape[1:] != (r, r + 1):
            raise InputError(f"node {self.node.name!r} (AffineGrid): theta {list(theta.shape)} does not fit "
                             f"{r}-d size {[int(s) for s in size]}")
        # the size input asks for any grid: (P, r + 1) coordinates and (N, P, r) results, in float64
        check_output(self, [theta.shape[0], *spatial, r + 1], 8)
        align = bool(self.attr("align_corners", 0))
        axes = np.meshgrid(*[_base_coords(n, align) for n in spatial], indexing="ij")
        homo = np.stack([*axes[::-1], np.ones(spatial)], axis=-1).reshape(-1, r + 1)   # (P, r+1): x, y, [z], 1
        grid = np.einsum("pk,njk->npj", homo, theta.astype(np.float64))
        return (grid.reshape((theta.shape[0], *spatial, r)).astype(theta.dtype),)
