"""The shared base of all ops."""
import bisect

import numpy as np

from ..errors import InputError, ModelError

REGISTRY = {}  # (domain, op_type) -> sorted [(since_version, cls)]


def register(op_type, since=1, domain=""):
    def deco(cls):
        versions = REGISTRY.setdefault((domain, op_type), [])
        bisect.insort(versions, (since, cls), key=lambda v: v[0])
        cls.op_type, cls.since, cls.domain = op_type, since, domain
        return cls
    return deco


class Op:
    """One node's implementation. `__init__` runs once per node at session
    creation (read attributes, look at constant inputs);
    `run(*inputs)` runs per inference and returns a tuple of outputs.
    Absent optional inputs arrive as None."""
    op_type = domain = ""
    since = 1
    deterministic = True  # constant folding may evaluate it ahead of time
    # False: the runner widens exotic inputs (bfloat16, float8, int4..., see
    # dtypes) to float32/int8/uint8 and rounds outputs of that type back.
    # True: the op receives them as they are and converts itself.
    handles_exotic = False
    # Inputs whose memory a bound runner (lowering/) may also use as its output
    # (the plan writes the output there when that input is not read afterwards).
    inplace = ()
    # Traits that the memory plan and the graph passes read instead of lists
    # of op names. They sit on the class registered for an opset range, so a
    # version whose semantics differ declares its own.
    #
    # view: output 0 is input 0's memory with another shape (the other
    # inputs, if any, only say which shape). With those inputs known at
    # plan time, the plan makes the output a view of the input's buffer.
    view = False
    # shape_only: the outputs depend only on input 0's shape, never on its
    # values; the plan computes them once per input-shape signature.
    shape_only = False
    # layout: None, or how the op is indifferent to the order of the axes,
    # so the to_nhwc pass may run it on channels-last tensors unchanged:
    #   "elementwise_unary": output[i] = f(input0[i]) at every position i;
    #     further inputs, if any, are scalars (Clip's min/max).
    #   "elementwise_binary": output = f(a, b) position by position with
    #     NumPy-style broadcasting, multidirectional or from b to a (PRelu's
    #     slope), and no axis attribute; variadic ops (Max, Min) qualify
    #     with two inputs. Permuting both operands' axes alike (ranks
    #     padded on the left) permutes the output alike.
    layout = None

    def __init__(self, node, ctx):
        self.node = node
        self.ctx = ctx
        self.init()

    def init(self):
        """Override to read attributes and prepare."""

    def attr(self, name, default=None):
        value = self.node.attrs.get(name, default)
        return default if value is None else value

    def required_attr(self, name):
        if name not in self.node.attrs:
            raise ModelError(f"node {self.node.name!r} ({self.op_type}): missing required attribute {name!r}")
        return self.node.attrs[name]

    def constant(self, index):
        """The value of input `index` if it is known at session creation, else None."""
        names = self.node.inputs
        if index < len(names) and names[index]:
            return self.ctx.constant(names[index])
        return None

    def check_shape(self, what, value, expected):
        """InputError unless `value` (an array or a list of numbers) has the shape `expected`
        (a tuple; None in it matches any size), naming `what`. Where inputs must fit each
        other, as onnxruntime checks them, rather than let NumPy broadcast one, zip it to
        the shorter or run with the part it has."""
        shape = tuple(np.shape(value))
        if len(shape) != len(expected) or any(e is not None and s != e for s, e in zip(shape, expected)):
            want = "[" + ", ".join("?" if e is None else str(e) for e in expected) + "]"
            raise InputError(f"node {self.node.name!r} ({self.op_type}): {what} has shape {list(shape)}, "
                             f"expected {want}")

    def run(self, *inputs):
        raise NotImplementedError
