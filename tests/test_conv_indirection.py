"""The indirection tables of the indirect-GEMM convolutions (float and int8),
natively against a loop over every tap: the kernels read input pixels at these
addresses, so one wrong entry is a wrong result or a read outside the input."""
import numpy as np
import pytest

from wasm_infer.kernels.conv import _indirection


def _by_loops(px, n, h, w, c, kh, kw, strides, pads, dilations, oh, ow, itemsize):
    out = np.zeros((n, oh, ow, kh, kw), np.int64)
    for b in range(n):
        for oy in range(oh):
            for ox in range(ow):
                for ky in range(kh):
                    for kx in range(kw):
                        iy = oy * strides[0] - pads[0] + ky * dilations[0]
                        ix = ox * strides[1] - pads[1] + kx * dilations[1]
                        if 0 <= iy < h and 0 <= ix < w:
                            out[b, oy, ox, ky, kx] = px + itemsize * c * ((b * h + iy) * w + ix)
    return out.reshape(n * oh * ow, kh * kw)


@pytest.mark.parametrize("itemsize", [4, 1])
def test_every_tap_addresses_its_pixel_and_padding_is_zero(itemsize):
    rng = np.random.default_rng(3)
    for _ in range(40):
        n, h, w, c = (int(v) for v in rng.integers(1, [3, 9, 9, 6]))
        kh, kw = (int(v) for v in rng.integers(1, 4, 2))
        strides, dilations = tuple(int(v) for v in rng.integers(1, 3, 2)), tuple(int(v) for v in rng.integers(1, 3, 2))
        pads = tuple(int(v) for v in rng.integers(0, 3, 4))
        oh = (h + pads[0] + pads[2] - dilations[0] * (kh - 1) - 1) // strides[0] + 1
        ow = (w + pads[1] + pads[3] - dilations[1] * (kw - 1) - 1) // strides[1] + 1
        if oh < 1 or ow < 1:
            continue
        px = int(rng.integers(1, 1 << 20)) * 16
        args = (px, n, h, w, c, kh, kw, strides, pads, dilations, oh, ow)
        table = _indirection(*args, itemsize=itemsize)
        assert table.dtype == np.uint32 and table.flags.c_contiguous
        np.testing.assert_array_equal(table, _by_loops(*args, itemsize))
