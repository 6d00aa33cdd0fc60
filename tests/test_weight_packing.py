"""Weight packing for the GEMM and Winograd kernels, natively against its
definition (the packing is NumPy; the kernels that read it run in Pyodide,
tests/node/kernels.test.mjs)."""
import pytest
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


@pytest.mark.parametrize("k, n", [(0, 9), (5, 0), (1, 1), (3, 17), (64, 8), (37, 100)])
@pytest.mark.parametrize("trans_b, alpha", [(False, 1.0), (True, 1.0), (False, 0.3), (True, -2.5)])
def test_gemm_panels_hold_bias_then_k_rows_of_alpha_b(k, n, trans_b, alpha):
    rng = np.random.default_rng(k * 131 + n)
    b = rng.standard_normal((k, n)).astype(np.float32)
    bias = rng.standard_normal(n).astype(np.float32)
    packed = packing.pack_gemm(np.ascontiguousarray(b.T) if trans_b else b, bias, trans_b=trans_b, alpha=alpha)
    nr, panels = packing.GEMM_NR, -(-n // packing.GEMM_NR)
    assert packed.shape == (panels, k + 1, nr) and packed.dtype == np.float32
    want = np.zeros((panels, k + 1, nr), np.float32)
    for j in range(n):
        want[j // nr, 0, j % nr] = bias[j]
        want[j // nr, 1:, j % nr] = (b[:, j].astype(np.float64) * alpha).astype(np.float32)
    np.testing.assert_array_equal(packed, want)
