"""The Transpose kernel's geometry, natively: kernels.folded_transpose folds a
permutation into the 4 (size, x stride, y stride) axes x32_transpose__wasmsimd
loops over. Here those loops run in NumPy index arithmetic and must give
numpy.transpose for every permutation of rank <= 5 that folds (every one of
rank <= 4 must), with y's innermost axis last and, when x's innermost axis is
another, that one third (the kernel's row-copy and 4x4-block loops rely on
it). The kernel itself: tests/node/kernels.test.mjs."""
import itertools

import numpy as np

from wasm_infer.kernels import folded_transpose


def _run_geometry(x, geom):
    """y as the kernel fills it: y[sum i_a ys_a] = x[sum i_a xs_a]."""
    dims = [d for d, _, _ in geom]
    idx = np.indices(dims).reshape(4, -1)
    xs = np.array([s for _, s, _ in geom])[:, None]
    ys = np.array([s for _, _, s in geom])[:, None]
    y = np.full(x.size, -1, np.int64)
    y[(idx * ys).sum(0)] = x.reshape(-1)[(idx * xs).sum(0)]
    return y


def test_every_permutation_up_to_rank_5_that_folds_gives_numpy_transpose():
    rng = np.random.default_rng(3)
    folded = unfoldable = 0
    for rank in range(6):
        for _ in range(8):
            shape = tuple(int(d) for d in rng.choice([1, 2, 3, 4, 5], rank))
            x = np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)
            for perm in itertools.permutations(range(rank)):
                geom = folded_transpose(shape, perm)
                if geom is None:
                    assert rank == 5, (shape, perm)
                    unfoldable += 1
                    continue
                assert len(geom) == 4
                (_, _, _), (_, _, _), (d2, xs2, _), (d3, xs3, ys3) = geom
                assert d3 == 1 or ys3 == 1, (shape, perm, geom)
                assert d3 == 1 or xs3 == 1 or xs2 == 1 or d2 == 1, (shape, perm, geom)
                assert np.array_equal(_run_geometry(x, geom), np.transpose(x, perm).reshape(-1)), (shape, perm)
                folded += 1
    assert folded > 1000 and unfoldable > 0


def test_attention_permutations_fold_to_row_copies_and_one_2d_transpose():
    # [1, S, H, D] -> [1, H, S, D]: rows of D floats; K's [0, 2, 3, 1]: H and D merge, a 2-D transpose
    assert folded_transpose((1, 128, 12, 32), (0, 2, 1, 3)) == [(1, 0, 0), (12, 32, 4096), (128, 384, 32), (32, 1, 1)]
    assert folded_transpose((1, 128, 12, 32), (0, 2, 3, 1)) == [(1, 0, 0), (1, 0, 0), (384, 1, 128), (128, 384, 1)]
    # axes of size 1 only: one element
    assert folded_transpose((1, 1, 1), (2, 0, 1)) == [(1, 0, 0)] * 4
