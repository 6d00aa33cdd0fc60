"""The Winograd F(2x2, 3x3) weight packing, natively (the packing is NumPy; the
kernel that reads it runs in Pyodide, tests/node/kernels.test.mjs)."""
import numpy as np

from wasm_infer.kernels import packing

# F(2x2, 3x3)'s weight transform, written out
G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])


def _unpack(packed, c, m):
    """The 16 matrices U_t [C, M] and the bias back out of pack_conv2d_nhwc_winograd's layout."""
    nr, panels = packing.GEMM_NR, -(-m // packing.GEMM_NR)
    mats = packed[:16 * panels * (c + 1) * nr].reshape(16, panels, c + 1, nr)
    u = mats[:, :, 1:, :].transpose(0, 2, 1, 3).reshape(16, c, panels * nr)[:, :, :m]
    return u, packed[16 * panels * (c + 1) * nr:][:m]


def test_each_tile_matrix_is_g_w_gt_of_each_channel_pair():
    rng = np.random.default_rng(7)
    for m, c in ((1, 1), (5, 3), (16, 9), (33, 17)):
        w = rng.standard_normal((m, c, 3, 3)).astype(np.float32)
        bias = rng.standard_normal(m).astype(np.float32)
        u, b = _unpack(packing.pack_conv2d_nhwc_winograd(w, bias), c, m)
        for mi in range(m):
            for ci in range(c):
                ref = G @ w[mi, ci].astype(np.float64) @ G.T     # [i, j]: tile t = 4 i + j
                np.testing.assert_array_equal(u[:, ci, mi], ref.reshape(16).astype(np.float32))
        np.testing.assert_array_equal(b, bias)
