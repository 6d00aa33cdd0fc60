"""Common-subexpression elimination: of two nodes that compute the same
thing, keep the first and let the second's readers read the first's outputs.

"The same": one domain, op_type and opset, the same attributes, and the same
inputs, position by position, either by name or as initializers of one
dtype, shape and bytes (exporters write a Constant per use: torch gives each
attention layer its own copy of the mask's 0 and -inf, so the six layers of
MiniLM compute one Where six times; the Shape/Gather/Unsqueeze chains that
rebuild a shape per layer repeat too). One pass in graph order (the graph is
topologically sorted), so chains of duplicates fold within one call; a hash
per node that shares its first input with an earlier one, so linear in the graph.

Never merged: ops that are not deterministic (Random*, Bernoulli,
Multinomial, Dropout: two draws are not one), nodes with subgraphs, ops no
implementation resolves. A duplicate stays when one of its outputs is a
graph output (its name must survive) or is read by name inside a subgraph,
or when it names an optional output the first one leaves out."""
import hashlib
import struct

import numpy as np

from ..ir import Graph, implicit_inputs
from ._util import graph_output_names, op_class

TARGETS = None   # any op may repeat

# Initializers are grouped by a cheap fingerprint (dtype, shape, the first and
# last bytes); only arrays whose fingerprints collide are hashed in full, each
# at most once, so a model of many look-alike initializers costs linear time.
_EDGE = 64


def apply(graph, ctx):
    kept_names = graph_output_names(graph) | {n for node in graph.nodes if node.attrs for n in implicit_inputs(node)}
    canonical = _canonical_initializers(graph.initializers)
    rename, kept, deterministic = {}, [], {}
    # Two nodes that compute the same thing read the same first input, so a node's key is made only
    # once a second node reads that input: by_first maps it to the one kept node reading it first
    # (no key made yet), or to {key: kept node} from the second reader on. A graph with no
    # repeated reads (a chain) then makes no key at all.
    by_first = {}
    for node in graph.nodes:
        if rename:
            node.inputs = [rename.get(n, n) for n in node.inputs]
        if not node.outputs:
            kept.append(node)
            continue
        head = node.inputs[0] if node.inputs else None
        if canonical and head:
            head = canonical.get(head, head)
        group = by_first.get(head)
        if group is None:
            by_first[head] = node
            kept.append(node)
            continue
        if type(group) is not dict:     # the second reader: the first one's key now
            key = _key(group, canonical, ctx, deterministic)
            group = by_first[head] = {key: group} if key is not None else {}
        key = _key(node, canonical, ctx, deterministic)
        first = group.get(key) if key is not None else None
        if first is not None and _can_replace(node, first, kept_names):
            for mine, theirs in zip(node.outputs, first.outputs):
                if mine:
                    rename[mine] = theirs
            continue
        if key is not None and first is None:
            group[key] = node
        kept.append(node)
    if not rename:
        return False
    graph.nodes[:] = kept
    return True


def _can_replace(node, first, kept_names):
    for i, name in enumerate(node.outputs):
        if name and (name in kept_names or i >= len(first.outputs) or not first.outputs[i]):
            return False
    return True


def _key(node, canonical, ctx, deterministic):
    """A hashable identity of what `node` computes, or None: never merged."""
    if not node.outputs:
        return None
    attrs = []
    if node.attrs:      # most nodes have none
        for name in sorted(node.attrs):
            k = _attr_key(node.attrs[name])
            if k is None:
                return None
            attrs.append((name, k))
    cls_key = (node.domain, node.op_type, tuple(sorted(node.opsets.items())) if node.opsets else None)
    det = deterministic.get(cls_key)
    if det is None:
        cls = op_class(node, ctx)
        det = deterministic[cls_key] = cls is not None and cls.deterministic
    if not det:
        return None
    inputs = tuple([canonical.get(n, n) for n in node.inputs]) if canonical else tuple(node.inputs)
    return cls_key, inputs, tuple(attrs)


def _attr_key(v):
    """Attributes as hashable values, equal only when equal bit for bit (a
    NaN float equals itself, -0.0 differs from 0.0); None for a subgraph or
    a kind this does not know (the node is never merged)."""
    if isinstance(v, (bool, int, str)):
        return type(v).__name__, v
    if isinstance(v, float):
        return "f", struct.pack("<d", v)
    if isinstance(v, np.ndarray):
        return "t", v.dtype.str, v.shape, v.tobytes()
    if isinstance(v, list):
        items = tuple(_attr_key(x) for x in v)
        return None if any(i is None for i in items) else ("l", items)
    if isinstance(v, Graph):
        return None
    return None     # AttrRef, raw TypeProto, sparse tensors: not compared


def _canonical_initializers(initializers):
    """initializer name -> the name of the first initializer with the same
    dtype, shape and bytes (only for names that have an earlier copy)."""
    first_of, by_digest, digests, canonical = {}, {}, {}, {}

    def digest(name, raw):
        if name not in digests:
            digests[name] = hashlib.blake2b(raw, digest_size=16).digest()
        return digests[name]

    for name, arr in initializers.items():
        raw = _raw(arr)
        if raw is None:
            continue
        fingerprint = (arr.dtype.str, arr.shape, raw[:_EDGE].tobytes(), raw[-_EDGE:].tobytes())
        first = first_of.setdefault(fingerprint, name)
        if first == name:
            continue
        by_digest.setdefault((fingerprint, digest(first, _raw(initializers[first]))), first)
        other = by_digest.setdefault((fingerprint, digest(name, raw)), name)
        if other != name and np.array_equal(raw, _raw(initializers[other])):
            canonical[name] = other
    return canonical


def _raw(arr):
    """The bytes of a numeric array as a flat uint8 view (a copy if it is not
    contiguous); None for what has no fixed bytes (strings, objects)."""
    if not isinstance(arr, np.ndarray) or arr.dtype.hasobject:
        return None
    return np.ascontiguousarray(arr).reshape(-1).view(np.uint8)
