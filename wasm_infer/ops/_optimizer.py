"""Shared input layout of the ai.onnx.preview.training optimisers: inputs
are R (learning rate), T (iteration count), then `groups` lists of n
tensors each (X1..Xn, G1..Gn, state lists); outputs are the updated lists."""


def grouped(op, args, groups):
    """(r, t, per-tensor tuples) from an optimiser's inputs."""
    r, t, rest = float(args[0]), int(args[1]), args[2:]
    n, extra = divmod(len(rest), groups)
    if extra or n == 0:
        from ..errors import InputError
        raise InputError(f"node {op.node.name!r} ({op.op_type}): {len(rest)} tensor inputs "
                         f"do not split into {groups} lists")
    return r, t, [tuple(rest[i + k * n] for k in range(groups)) for i in range(n)]


def regroup(results):
    """Per-tensor result tuples -> outputs ordered list by list."""
    return tuple(v for column in zip(*results) for v in column)
