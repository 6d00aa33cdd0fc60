"""Prepare one graph for running and run it: the same code for the main graph
and for every subgraph (If branches, Loop/Scan bodies), so subgraphs get the
same ordering, passes, op resolution and error reporting.

A subgraph reads values of enclosing graphs by name. Its node in the parent
lists those names as *implicit inputs* (ir.implicit_inputs): the parent
orders, keeps alive and passes them like ordinary inputs, and the subgraph op
hands them to the child runner as its outer scope.
"""
import heapq
import time

import numpy as np

from . import dtypes, functions, inline_if, ir, limits, lowering, passes
from .errors import ModelError, ResourceError, UnsupportedError, WasmInferError, out_of_memory
from .ops import resolve


class Context:
    """What ops see at session creation: opsets, constants, kernels, and a
    way to compile their subgraphs."""

    def __init__(self, opsets, constants, kernels, model_functions=None, debug=False, nodes_left=None,
                 budget=None):
        self.opsets, self.constants, self.kernels = opsets, constants, kernels
        self.functions = model_functions or {}
        self.debug = debug
        # shared by the contexts of all graphs of a session: nodes inlining may still make
        # (functions.inline), and the model's memory Budget that folded constants are charged to
        self.nodes_left = nodes_left if nodes_left is not None else [limits.max_nodes()]
        self.budget = budget if budget is not None else limits.Budget()
        self.outer = None     # a subgraph's: (enclosing Context, the names the subgraph reads from it)

    def opset(self, domain):
        return self.opsets.get(domain or "", 1)

    def constant(self, name):
        found = self.constants.get(name)
        if found is None and self.outer is not None and name in self.outer[1]:
            return self.outer[0].constant(name)    # an enclosing graph's constant, read by name
        return found

    def numpy_only(self):
        ctx = Context(self.opsets, self.constants, None, self.functions, self.debug, self.nodes_left, self.budget)
        ctx.outer = self.outer
        return ctx

    def compile(self, graph, where="subgraph"):
        """A GraphRunner for a subgraph of the node being created. Raises
        UnsupportedError now (at session creation) for anything inside it."""
        child = Context(self.opsets, graph.initializers, self.kernels, self.functions, self.debug,
                        self.nodes_left, self.budget)
        # constants of enclosing graphs are constants in the subgraph too (a Gather's index
        # that is an initializer of the enclosing If branch): ops and lowerings see them
        child.outer = (self, frozenset(ir.free_names(graph)))
        return GraphRunner(graph, child, where, outer=True)


def toposort(graph, outer=()):
    """Nodes in an order where every input (and implicit outer-scope input)
    is produced before it is read. Kahn's algorithm, taking the ready node
    that comes first in the file: the model's own order when it is valid,
    and O(nodes log nodes + edges) whatever the graph."""
    available = set(graph.initializers) | {v.name for v in graph.inputs} | {""} | set(outer)
    if _in_order(graph.nodes, available):
        return      # Kahn's algorithm would return the model's own order: nothing to sort
    producer = {}
    for i, n in enumerate(graph.nodes):
        for o in n.outputs:
            producer.setdefault(o, i)
    nodes = graph.nodes
    waiting = [0] * len(nodes)        # inputs not yet produced, per node
    readers = {}                      # value name -> nodes waiting for it
    for i, n in enumerate(nodes):
        needs = set(n.inputs) | {v for v in ir.implicit_inputs(n) if v in producer}
        for v in needs - available:
            waiting[i] += 1
            readers.setdefault(v, []).append(i)
    ready = [i for i, w in enumerate(waiting) if w == 0]
    heapq.heapify(ready)
    ordered, done = [], set(available)
    while ready:
        i = heapq.heappop(ready)
        ordered.append(nodes[i])
        for o in nodes[i].outputs:
            if o in done:
                continue
            done.add(o)
            for j in readers.pop(o, ()):
                waiting[j] -= 1
                if waiting[j] == 0:
                    heapq.heappush(ready, j)
    if len(ordered) < len(nodes):
        placed = {id(n) for n in ordered}
        node = next(n for n in nodes if id(n) not in placed)
        missing = [v for v in node.inputs + ir.implicit_inputs(node) if v not in done]
        raise ModelError(f"invalid graph: input {missing[0]!r} of node {node.name!r} ({node.op_type}) "
                         "is not a graph input, an initializer or any node's output (or the graph has a cycle)")
    graph.nodes[:] = ordered


def _in_order(nodes, available):
    """Whether every node reads only values available before it (exporters
    write most graphs in order). Then the first unplaced node is always
    ready, so Kahn's algorithm above places the nodes in exactly this order;
    this check costs one set lookup per input instead of its per-node sets,
    dicts and heap. Any doubt (an input not made yet) leaves the order to
    Kahn's algorithm, which also names what is missing."""
    done = set(available)
    for n in nodes:
        for v in n.inputs:
            if v not in done:
                return False
        if n.attrs:     # a node with subgraphs also waits for the outer values they read
            for v in ir.implicit_inputs(n):
                if v not in done:
                    return False
        done.update(n.outputs)
    return True


class GraphRunner:
    """Steps (op, input names, output names) of one graph, and `run`."""

    def __init__(self, graph, ctx, where="graph", outer=False):
        self.graph, self.ctx, self.where = graph, ctx, where
        functions.inline(graph, ctx)
        self.outer_names = ir.free_names(graph) if outer else []
        toposort(graph, self.outer_names)
        passes.optimize(graph, ctx)
        self.steps, self.promote = [], []
        classes = {}    # (op_type, domain, opset) -> Op class: resolved once per kind of node
        for node in graph.nodes:
            opset = (node.opsets or ctx.opsets).get(node.domain or "", 1)
            cls = classes.get((node.op_type, node.domain, opset))
            if cls is None:
                cls = classes[node.op_type, node.domain, opset] = resolve(
                    node.op_type, node.domain, opset, node.name or (node.outputs or [""])[0],
                    where if where != "graph" else "")
            try:
                op = cls(node, ctx)
            except UnsupportedError as e:
                if node.name and node.name in str(e):
                    raise
                raise UnsupportedError(f"{_label(node, where)} ({node.op_type}): {e}") from None
            implicit = getattr(op, "implicit_inputs", None)
            # The node's own lists, not copies (the passes are done with them): fewer objects per
            # step for the cyclic collector to visit, and less memory per node.
            inputs = node.inputs + list(implicit) if implicit else node.inputs
            self.steps.append((op, inputs, node.outputs))
            self.promote.append(not getattr(op, "handles_exotic", False))
        self.output_names = [v.name for v in graph.outputs]
        self.release_after = self._release_lists()
        # per step: input (shape, dtype)s -> a kernel lowering or None (lowering/), when kernels are
        # loaded; made at the step's first run (None until then: no dict per node at load)
        self.lowered = [None] * len(self.steps) if ctx.kernels is not None else None

    def _release_lists(self):
        """For each step, the values no later step or output reads: () for
        none, the name itself for one (most steps, and no list object per
        step), else a list of names. One walk from the last step back: a
        value is released by the first reader met (its last reader), and it
        leaves the set of live values at its producer, so the set holds only
        the values alive at one point of the graph (a few for a chain of
        100,000 nodes) rather than a table of every name, which would outgrow
        the CPU's caches on large graphs."""
        keep = set(self.output_names)       # never released: the outputs and initializers
        keep.update(self.graph.initializers)
        live, n = set(), len(self.steps)
        release = [()] * n
        for i, (_, inputs, outputs) in zip(range(n - 1, -1, -1), reversed(self.steps)):
            live.difference_update(outputs)
            for name in inputs:
                if name not in live:
                    live.add(name)
                    if name and name not in keep:
                        r = release[i]
                        if not r:
                            release[i] = name
                        elif type(r) is str:
                            release[i] = [r, name]
                        else:
                            r.append(name)
        return release

    def run(self, feeds, outer=None, names=None, record=None):
        """Run with `feeds` (input name -> value) and `outer` (outer-scope
        name -> value); returns the values of `names` (default: the outputs).
        `record` (a plan.Recorder) is told every value computed, for planning;
        the If nodes it runs record their branch into it (inline_if)."""
        if record is None and inline_if.recording() is None:
            return self._run(feeds, outer, names, None)
        before = inline_if.swap(record)     # a Loop body run inside a recording records nothing
        try:
            return self._run(feeds, outer, names, record)
        finally:
            inline_if.swap(before)

    def _run(self, feeds, outer, names, record):
        values = dict(outer) if outer else {}
        values.update(self.graph.initializers)
        values.update(feeds)
        debug = self.ctx.debug
        lowered = self.lowered
        run_state, deadline = limits.run_deadline()      # None: no timeout, nothing to check per step
        for i, ((op, inputs, outputs), release, promote) in enumerate(zip(self.steps, self.release_after,
                                                                          self.promote)):
            if deadline is not None and time.monotonic() > deadline:
                run_state.expired(f"{_label(op.node, self.where)} ({op.op_type})")
            try:
                args = [values[n] if n else None for n in inputs]
            except KeyError as e:
                raise ModelError(f"node {op.node.name!r} ({op.op_type}): input {e.args[0]!r} has no value "
                                 "(an optional graph input left out?)") from None
            t0 = time.perf_counter() if debug else 0
            try:
                low = _kernel_lowering(op, args, lowered, i, self.ctx.kernels) if lowered is not None else None
                if low is not None:
                    results = _run_lowered(low, args, op)
                elif promote and any(type(a) is np.ndarray and a.dtype.names for a in args):
                    results = _run_promoted(op, args)
                else:
                    results = op.run(*args)
            except WasmInferError:
                raise
            except Exception as e:
                if out_of_memory(e):
                    raise ResourceError(f"out of memory in node {op.node.name!r} ({op.op_type}): "
                                        f"{type(e).__name__}: {e}") from None
                shapes = [list(a.shape) if hasattr(a, "shape") else type(a).__name__ for a in args]
                raise ModelError(f"node {op.node.name!r} ({op.op_type}) failed on inputs of shapes {shapes}: "
                                 f"{type(e).__name__}: {e}") from e
            if debug:
                print(f"[wasm_infer] {op.op_type:<20} {op.node.name:<40} "
                      f"{[list(r.shape) for r in results if hasattr(r, 'shape')]} "
                      f"{(time.perf_counter() - t0) * 1e3:.3f} ms")
            for name, value in zip(outputs, results):
                if name:
                    # numpy reductions return scalars (np.float32), not 0-d arrays: outputs are arrays
                    values[name] = np.asarray(value) if isinstance(value, np.generic) else value
                    if record is not None:
                        record.add(name, values[name])
            if release:
                if type(release) is str:
                    values.pop(release, None)
                else:
                    for name in release:
                        values.pop(name, None)
        return [values[n] for n in (self.output_names if names is None else names)]


def _kernel_lowering(op, args, lowered, i, kernels):
    """The kernel lowering of step i for these inputs (cached in lowered[i]
    per input shapes and dtypes), or None: then the op's NumPy `run` computes it."""
    cache = lowered[i]
    if cache is None:
        cache = lowered[i] = {}
    key = tuple((a.shape, a.dtype) if type(a) is np.ndarray else (None if a is None else type(a)) for a in args)
    low = cache.get(key, False)
    if low is False:
        if len(cache) >= 8:
            cache.clear()
        specs = [k if k is None or type(k) is tuple else (None, None) for k in key]
        found = lowering.lower(op, specs, kernels, numpy_out=False)
        low = cache[key] = found if found else None
    return low


def _run_lowered(low, args, op):
    """Run a kernel lowering on fresh output arrays (the unplanned path).
    Their shapes are checked as the op's own NumPy code checks them
    (limits.check_output): a broadcast or a product can outgrow its inputs."""
    ins = [np.ascontiguousarray(a).reshape(a.shape) if type(a) is np.ndarray and not a.flags.c_contiguous
           else a for a in args]    # (ascontiguousarray alone would make a 0-d array 1-d)
    for shape, dtype in low.outputs:
        limits.check_output(op, shape, np.dtype(dtype).itemsize)
    outs = [np.empty(shape, dtype) for shape, dtype in low.outputs]
    low.bind(ins, outs)()
    return outs


def _run_promoted(op, args):
    """Run an op that computes only on NumPy types on exotic inputs
    (bfloat16, float8, int4...; see dtypes): inputs are widened to float32 /
    int8 / uint8, and outputs of that widened type are rounded back to the
    exotic type, as ONNX computes these types (each op's result rounded).
    Ops whose result type differs (DequantizeLinear: float8 in, float32 out)
    set `handles_exotic` and convert themselves."""
    exotic, wide = None, []
    for a in args:
        if type(a) is np.ndarray and a.dtype.names and dtypes.is_exotic(a.dtype):
            w = dtypes.to_standard(a)
            if exotic is None:
                exotic = (a.dtype, w.dtype)
            wide.append(w)
        else:
            wide.append(a)
    results = op.run(*wide)
    if exotic is None:
        return results
    target = dtypes.onnx_type(exotic[0])
    return tuple(dtypes.cast(r, target) if isinstance(r, np.ndarray) and r.dtype == exotic[1] else r
                 for r in results)


def _label(node, where):
    name = node.name or (node.outputs[0] if node.outputs else "")
    return f"node {name!r}" + (f" in {where}" if where != "graph" else "")

