"""Interpolated reads of an image at fractional positions, shared by
DeformConv, GridSample and RoiAlign."""
import itertools

import numpy as np


def gather(img, index):
    """img (B, C, *S), index: one integer array (B, *P) per spatial axis ->
    (B, C, *P). Indices must already be in range."""
    b = np.arange(img.shape[0], dtype=np.intp).reshape((-1,) + (1,) * (index[0].ndim - 1))
    picked = img[(b, slice(None)) + tuple(i.astype(np.intp, copy=False) for i in index)]  # (B, *P, C)
    return np.moveaxis(picked, -1, 1)


def linear_zero_padded(img, coords):
    """Multilinear interpolation of img (B, C, *S) at float positions
    `coords` (one array (B, *P) per spatial axis, in pixel units); samples
    outside the image read 0. Returns (B, C, *P) in the coordinates' dtype."""
    size = img.shape[2:]
    base = [np.floor(c) for c in coords]
    frac = [c - f for c, f in zip(coords, base)]
    base = [f.astype(np.int64) for f in base]
    out = 0
    for corner in itertools.product((0, 1), repeat=len(size)):
        weight = 1
        valid = True
        index = []
        for a, bit in enumerate(corner):
            i = base[a] + bit
            weight = weight * (frac[a] if bit else 1 - frac[a])
            valid = valid & (i >= 0) & (i < size[a])
            index.append(np.clip(i, 0, size[a] - 1))
        weight = np.where(valid, weight, 0)
        out = out + gather(img, index) * weight[:, None]
    return out
