"""Index plumbing shared by the Gather*/Scatter* ops."""
import numpy as np

from ..errors import InputError

# ScatterElements / ScatterND `reduction` -> the ufunc whose `.at` applies
# every update in turn, so duplicate indices accumulate.
REDUCE = {"add": np.add, "mul": np.multiply, "min": np.minimum, "max": np.maximum}


def normalize(indices, size, what):
    """int indices with negatives counted from the end, as np.intp (32-bit
    in wasm32, where NumPy refuses int64 indices); raises when out of range."""
    idx = np.asarray(indices).astype(np.int64)
    if idx.size and (idx.min() < -size or idx.max() >= size):
        raise InputError(f"{what}: index out of range for an axis of size {size}")
    return np.where(idx < 0, idx + size, idx).astype(np.intp)


def element_index(indices, axis, shape, what):
    """The full index tuple addressing data[..., indices[i], ...] for every
    position i of `indices` (GatherElements / ScatterElements)."""
    axis = axis + len(shape) if axis < 0 else axis
    if indices.ndim != len(shape):
        raise InputError(f"{what}: indices of rank {indices.ndim} for data of rank {len(shape)}")
    grid = list(np.indices(indices.shape, dtype=np.intp, sparse=True))
    grid[axis] = normalize(indices, shape[axis], what)
    return tuple(grid)


def scatter(data, index, updates, reduction, what):
    """A copy of data with updates written (or reduced) at `index`."""
    out = np.array(data, copy=True)
    if reduction in (None, "", "none"):
        out[index] = updates
    elif reduction in REDUCE:
        REDUCE[reduction].at(out, index, updates.astype(out.dtype))
    else:
        raise InputError(f"{what}: unknown reduction {reduction!r}")
    return out


def nd_index(indices, shape, what):
    """indices (..., k) -> tuple of k flat index arrays into the first k
    dims of `shape` (GatherND / ScatterND without batch dims)."""
    k = indices.shape[-1]
    if k > len(shape):
        raise InputError(f"{what}: index tuples of length {k} for data of rank {len(shape)}")
    flat = indices.reshape(-1, k)
    return tuple(normalize(flat[:, j], shape[j], what) for j in range(k))
