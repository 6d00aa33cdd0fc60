import itertools

import numpy as np

from ..errors import InputError
from ..limits import check_output
from .base import Op, register


@register("Col2Im", since=18)
class Col2Im(Op):
    """Inverse of im2col: input (N, C * prod(block), L) where L counts the
    block positions of the padded image in row-major order; overlapping
    blocks add up, pads are cropped at the end."""
    def run(self, x, image_shape, block_shape):
        self.check_shape("block_shape", block_shape, (len(image_shape),))
        image = [int(v) for v in image_shape]
        block = [int(v) for v in block_shape]
        r = len(image)
        strides = list(self.attr("strides", None) or [1] * r)
        dilations = list(self.attr("dilations", None) or [1] * r)
        pads = list(self.attr("pads", None) or [0] * (2 * r))
        n, ck, length = x.shape
        k = int(np.prod(block))
        grid = [(i + pads[a] + pads[a + r] - (b - 1) * d - 1) // s + 1
                for a, (i, b, d, s) in enumerate(zip(image, block, dilations, strides))]
        if ck % k or int(np.prod(grid)) != length:
            raise InputError(f"node {self.node.name!r} (Col2Im): input {list(x.shape)} does not fit image {image}, "
                             f"block {block}")
        cols = x.reshape((n, ck // k, k, *grid))
        # the image's size is an input's value: with strides as large, one column makes any image
        padded = (n, ck // k) + tuple(i + pads[a] + pads[a + r] for a, i in enumerate(image))
        check_output(self, padded, x.dtype.itemsize)
        y = np.zeros(padded, x.dtype)
        for t, pos in enumerate(itertools.product(*(range(b) for b in block))):
            dst = tuple(slice(p * d, p * d + s * (g - 1) + 1, s) for p, d, s, g in zip(pos, dilations, strides, grid))
            y[(slice(None), slice(None)) + dst] += cols[:, :, t]
        crop = tuple(slice(pads[a], pads[a] + i) for a, i in enumerate(image))
        return (y[(slice(None), slice(None)) + crop],)
