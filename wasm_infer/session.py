"""InferenceSession: the onnxruntime-shaped entry point."""
import os
import time
from dataclasses import dataclass

import numpy as np

from . import dtypes, ir, passes
from .errors import InputError, ModelError, ResourceError, UnsupportedError, WasmInferError
from .ops import resolve

MAX_IR_VERSION = 14          # ONNX 1.23 writes IR 14
MAX_OPSET = {"": 28, "ai.onnx": 28, "ai.wasm_infer": 1}  # ONNX 1.23


@dataclass
class NodeArg:
    """What get_inputs()/get_outputs() return, as in onnxruntime."""
    name: str
    shape: list
    type: str


class _Context:
    """What ops see at session creation: opsets, constants, the kernels."""

    def __init__(self, opsets, constants, kernels):
        self.opsets, self.constants, self.kernels = opsets, constants, kernels

    def opset(self, domain):
        return self.opsets.get(domain or "", 1)

    def constant(self, name):
        return self.constants.get(name)

    def numpy_only(self):
        return _Context(self.opsets, self.constants, None)


def _read(path_or_bytes):
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        return path_or_bytes
    try:
        with open(os.fspath(path_or_bytes), "rb") as f:
            return f.read()
    except TypeError:
        raise ModelError(f"expected a model path or bytes, got {type(path_or_bytes).__name__}") from None
    except OSError as e:
        raise ModelError(f"cannot read model file {os.fspath(path_or_bytes)!r}: {e.strerror}") from None


def _toposort(graph):
    """Nodes in an order where every input is produced before it is read."""
    available = set(graph.initializers) | {v.name for v in graph.inputs} | {""}
    pending, ordered = list(graph.nodes), []
    while pending:
        ready = [n for n in pending if all(i in available for i in n.inputs)]
        if not ready:
            node = pending[0]
            missing = [i for i in node.inputs if i not in available]
            raise ModelError(f"invalid graph: input {missing[0]!r} of node {node.name!r} ({node.op_type}) "
                             "is not a graph input, an initializer or any node's output (or the graph has a cycle)")
        ready_ids = {id(n) for n in ready}
        pending = [n for n in pending if id(n) not in ready_ids]
        ordered.extend(ready)
        for n in ready:
            available.update(n.outputs)
    graph.nodes[:] = ordered


class InferenceSession:
    """Load an ONNX model and run it.

        sess = wasm_infer.InferenceSession("model.onnx")
        (logits,) = sess.run(None, {"input": x})

    backend: "auto" (kernels when running in Pyodide with WebAssembly SIMD,
    else NumPy) or "numpy". The environment variable WASM_INFER_BACKEND=numpy
    forces NumPy too.
    """

    def __init__(self, path_or_bytes, backend="auto"):
        from . import kernels as kernel_module
        if backend not in ("auto", "numpy"):
            raise ValueError(f"backend must be 'auto' or 'numpy', not {backend!r}")
        self.model = model = ir.load(_read(path_or_bytes))
        if model.ir_version > MAX_IR_VERSION:
            raise UnsupportedError(f"model IR version {model.ir_version} is newer than the newest this "
                                   f"runtime supports ({MAX_IR_VERSION})")
        for domain, version in model.opsets.items():
            newest = MAX_OPSET.get(domain)
            if newest is not None and version > newest:
                raise UnsupportedError(f"model uses opset {version} of domain {domain or 'ai.onnx'!r}; "
                                       f"this runtime supports up to {newest}")
        graph = model.graph
        use_kernels = backend == "auto" and kernel_module.available()
        self.ctx = _Context(model.opsets, graph.initializers, kernel_module if use_kernels else None)
        self.backend = kernel_module.flavour() if use_kernels else "numpy"
        _toposort(graph)
        passes.optimize(graph, self.ctx)
        self._steps = []
        for node in graph.nodes:
            cls = resolve(node.op_type, node.domain, self.ctx.opset(node.domain), node.name)
            self._steps.append((cls(node, self.ctx), tuple(node.inputs), tuple(node.outputs)))
        self._inputs = [NodeArg(v.name, list(v.shape) if v.shape is not None else None, v.type_string)
                        for v in graph.inputs]
        self._outputs = [NodeArg(v.name, list(v.shape) if v.shape is not None else None, v.type_string)
                         for v in graph.outputs]
        self._input_info = {v.name: v for v in graph.inputs}
        self._release_after = self._lifetimes()
        self._debug = os.environ.get("WASM_INFER_DEBUG", "") not in ("", "0")

    def _lifetimes(self):
        """For each step, the intermediate values no later step or output reads."""
        keep = {v.name for v in self.model.graph.outputs} | set(self.model.graph.initializers)
        last = {}
        for i, (_, inputs, _) in enumerate(self._steps):
            for name in inputs:
                last[name] = i
        release = [[] for _ in self._steps]
        for name, i in last.items():
            if name and name not in keep:
                release[i].append(name)
        return release

    def get_inputs(self):
        return list(self._inputs)

    def get_outputs(self):
        return list(self._outputs)

    def get_providers(self):
        return [f"wasm_infer:{self.backend}"]

    def _check_feeds(self, feeds):
        if not isinstance(feeds, dict):
            raise InputError(f"feeds must be a dict of input name -> numpy array, got {type(feeds).__name__}")
        expected = self._input_info
        unknown = [n for n in feeds if n not in expected]
        if unknown:
            raise InputError(f"unknown input name {unknown[0]!r}; the model's inputs are {list(expected)}")
        missing = [n for n in expected if n not in feeds]
        if missing:
            raise InputError(f"missing input {missing[0]!r}; the model's inputs are {list(expected)}")
        for name, value in feeds.items():
            info = expected[name]
            if not isinstance(value, np.ndarray):
                raise InputError(f"input {name!r} must be a numpy array, got {type(value).__name__}")
            if info.kind != "tensor" or not info.elem_type:
                continue
            want = dtypes.NUMPY_OF.get(info.elem_type)
            if want is not None and value.dtype != want:
                raise InputError(f"input {name!r} has dtype {value.dtype}, the model expects {info.type_string} "
                                 f"(numpy {want}); convert it with .astype(np.{want})")
            if info.shape is not None:
                if value.ndim != len(info.shape):
                    raise InputError(f"input {name!r} has shape {list(value.shape)} (rank {value.ndim}), "
                                     f"the model expects rank {len(info.shape)}: {list(info.shape)}")
                for axis, (got, dim) in enumerate(zip(value.shape, info.shape)):
                    if isinstance(dim, int) and dim > 0 and got != dim:
                        raise InputError(f"input {name!r} has shape {list(value.shape)}, the model expects "
                                         f"{list(info.shape)} (axis {axis} must be {dim})")

    def run(self, output_names, input_feed, run_options=None):
        """Run the model; returns a list of numpy arrays in the order of
        `output_names` (all outputs when None)."""
        self._check_feeds(input_feed)
        names = [o.name for o in self._outputs] if output_names is None else list(output_names)
        known = {o.name for o in self._outputs}
        for n in names:
            if n not in known:
                raise InputError(f"unknown output name {n!r}; the model's outputs are {sorted(known)}")
        values = dict(self.model.graph.initializers)
        values.update(input_feed)
        debug = self._debug
        for (op, inputs, outputs), release in zip(self._steps, self._release_after):
            args = [values[n] if n else None for n in inputs]
            t0 = time.perf_counter() if debug else 0
            try:
                results = op.run(*args)
            except WasmInferError:
                raise
            except MemoryError:
                raise ResourceError(f"out of memory in node {op.node.name!r} ({op.op_type})") from None
            except Exception as e:
                shapes = [list(a.shape) if hasattr(a, "shape") else type(a).__name__ for a in args]
                raise ModelError(f"node {op.node.name!r} ({op.op_type}) failed on inputs of shapes {shapes}: "
                                 f"{type(e).__name__}: {e}") from e
            if debug:
                print(f"[wasm_infer] {op.op_type:<20} {op.node.name:<40} "
                      f"{[list(r.shape) for r in results if hasattr(r, 'shape')]} "
                      f"{(time.perf_counter() - t0) * 1e3:.3f} ms")
            for name, value in zip(outputs, results):
                if name:
                    values[name] = value
            for name in release:
                del values[name]
        return [values[n] for n in names]
