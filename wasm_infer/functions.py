"""Inline model-local functions (ModelProto.functions).

A call node is replaced by a copy of the function body: formal inputs and
outputs become the caller's names, every other name gets a prefix unique to
the call, attributes that refer to the caller's (`ref_attr_name`) take the
caller's value or the function's default, and the body nodes keep the
function's own opset imports. Runs before toposort so that passes and op
resolution see only primitive ops; subgraphs are inlined when they are
compiled (GraphRunner does it for every graph).
"""
import itertools

from . import ir, limits
from .errors import ModelError, ResourceError

MAX_DEPTH = 32
_counter = itertools.count()


def inline(graph, ctx):
    """Replace every call of a model-local function in `graph` (not in its
    subgraphs) by the function's body, recursively. The number of nodes this
    makes is computed first, from the bodies alone, and charged to the
    session's node budget (ctx.nodes_left, limits.max_nodes()): functions
    that call each other twice per level reach 2^30 nodes from a few kB, so
    the check comes before any copy."""
    if not ctx.functions or not any((n.domain, n.op_type) in ctx.functions for n in graph.nodes):
        return
    sizes, depths = {}, {}
    total = 0
    for node in graph.nodes:
        key = (node.domain, node.op_type)
        total += _size(key, ctx.functions, sizes, depths, node) if key in ctx.functions else 1
        if total > ctx.nodes_left[0]:
            raise ResourceError(f"calling function {node.op_type!r} at node {node.name!r} expands the graph "
                                f"to {total:,} nodes or more, more than the {limits.max_nodes():,} a session "
                                "may hold (WASM_INFER_MAX_NODES)")
    ctx.nodes_left[0] -= total
    _inline(graph, ctx, 0)


def _size(key, functions, sizes, depths, call, stack=()):
    """Nodes function `key` expands to (memoised in `sizes`; depths[key]: its
    call depth). A cycle, or calls nested deeper than MAX_DEPTH, is a ModelError."""
    if key in sizes:
        return sizes[key]
    if key in stack or len(stack) >= MAX_DEPTH:
        raise ModelError(f"model-local functions nest deeper than {MAX_DEPTH} calls (recursive function "
                         f"{key[1]!r} called at node {call.name!r}?)")
    count, depth = 0, 1
    for n in functions[key].nodes:
        callee = (n.domain, n.op_type)
        if callee in functions:
            count += _size(callee, functions, sizes, depths, call, stack + (key,))
            depth = max(depth, depths[callee] + 1)
        else:
            count += 1
    sizes[key], depths[key] = count, depth
    return count


def _inline(graph, ctx, depth):
    if not any((n.domain, n.op_type) in ctx.functions for n in graph.nodes):
        return
    if depth > MAX_DEPTH:
        raise ModelError(f"model-local functions nest deeper than {MAX_DEPTH} calls (recursive function?)")
    out = []
    for node in graph.nodes:
        fn = ctx.functions.get((node.domain, node.op_type))
        if fn is None:
            out.append(node)
        else:
            out.extend(_expand(node, fn, ctx.opsets))
    graph.nodes[:] = out
    _inline(graph, ctx, depth + 1)


def _expand(call, fn, model_opsets):
    prefix = f"{call.name or call.op_type}__{next(_counter)}/"
    names = {"": ""}
    for i, formal in enumerate(fn.inputs):
        names[formal] = call.inputs[i] if i < len(call.inputs) else ""
    for i, formal in enumerate(fn.outputs):
        names[formal] = call.outputs[i] if i < len(call.outputs) else prefix + formal
    attrs = {k: v for k, v in fn.attributes.items() if v is not None}
    attrs.update(call.attrs)
    opsets = {**model_opsets, **fn.opsets}

    def rename(name):
        if name not in names:
            names[name] = prefix + name
        return names[name]

    body = []
    for n in fn.nodes:
        body.append(ir.Node(n.op_type, [rename(i) for i in n.inputs], [rename(o) for o in n.outputs],
                            _bind(n.attrs, attrs, names), n.domain, prefix + (n.name or n.op_type),
                            n.opsets or opsets))
    return body


def _bind(node_attrs, caller_attrs, names):
    """Resolve attribute references; rename outer-scope reads in subgraphs."""
    out = {}
    for key, value in node_attrs.items():
        if isinstance(value, ir.AttrRef):
            if value.name in caller_attrs:
                out[key] = caller_attrs[value.name]
            continue  # unbound reference: the attribute is absent (op default applies)
        if isinstance(value, ir.Graph):
            value = _copy_graph(value, caller_attrs, names)
        elif isinstance(value, list) and value and isinstance(value[0], ir.Graph):
            value = [_copy_graph(g, caller_attrs, names) for g in value]
        out[key] = value
    return out


def _copy_graph(g, caller_attrs, names):
    """A subgraph of a function body: its free names refer to the body's
    names, which were renamed; its local names stay."""
    free = set(ir.free_names(g))
    local = {k: (names[k] if k in free and k in names else k) for k in free}

    def ren(name):
        return local.get(name, name)

    nodes = [ir.Node(n.op_type, [ren(i) for i in n.inputs], list(n.outputs),
                     _bind(n.attrs, caller_attrs, {k: v for k, v in names.items() if k in free}),
                     n.domain, n.name, n.opsets) for n in g.nodes]
    outputs = [ir.ValueInfo(ren(v.name), v.elem_type, v.shape, v.kind) for v in g.outputs]
    return ir.Graph(nodes, list(g.inputs), outputs, dict(g.initializers), dict(g.value_info), g.name)
