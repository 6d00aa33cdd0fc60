"""Results the caller owns: a session's outputs never share memory with the
session or with each other, as onnxruntime's (InferenceSession._detach).

held_arrays collects, once per session, the arrays it keeps for its life;
detach copies each result that may share memory with them, with a feed or
with another result, and passes fresh arrays as they are.
"""
import numpy as np

from .graph_runner import GraphRunner


def detach(results, feeds, recorded, held):
    """The results, each copied unless fresh: the array at the root of its
    views owns its memory, is writeable, and is neither in `held` (ids from
    held_arrays) nor a feed or another result. `recorded`: the results come
    from the recording run, whose record the plan keeps: all are copied."""
    taken = set()
    for v in feeds.values():
        while isinstance(v, np.ndarray):
            taken.add(id(v))
            v = v.base
    out = []
    for v in results:
        if type(v) is np.ndarray:
            root = v
            while isinstance(root.base, np.ndarray):
                root = root.base
            if recorded or root.base is not None or not v.flags.writeable or id(root) in held or \
                    id(root) in taken:
                v = v.copy()
                root = v
            taken.add(id(root))
        elif isinstance(v, list):       # a sequence: its arrays (views kept as they are)
            v = [np.array(x) if type(x) is np.ndarray else x for x in v]
        out.append(v)
    return out


def held_arrays(runner, defaults):
    """ids of the arrays a session keeps for its life: initializers (folded
    constants included) of every graph, anything an op holds in an attribute
    (a Constant's value...), of the main graph and every subgraph, and the
    defaults of overridable initializers."""
    ids = set()

    def hold(a):          # the array at the root of a's views: what detach compares
        while isinstance(a.base, np.ndarray):
            a = a.base
        ids.add(id(a))
    for v in defaults.values():
        hold(v)
    seen, todo = set(), [runner]
    while todo:
        r = todo.pop()
        if id(r) in seen:
            continue
        seen.add(id(r))
        for v in r.graph.initializers.values():
            if isinstance(v, np.ndarray):
                hold(v)
        for op, _, _ in r.steps:
            for value in vars(op).values():
                if isinstance(value, (list, tuple)):
                    for item in value:
                        if isinstance(item, np.ndarray):
                            hold(item)
                        elif isinstance(item, GraphRunner):
                            todo.append(item)
                elif isinstance(value, np.ndarray):      # no tuple per attribute: ~3 per op
                    hold(value)
                elif isinstance(value, GraphRunner):
                    todo.append(value)
    return ids
