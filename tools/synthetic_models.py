"""Benchmark models with random weights: a MobileNetV2, a ResNet-18 and a
small MLP head with an `If` (mlp_head_if(): per-node cost).

    python -m tools.synthetic_models [--out-dir build/models]

writes ``mobilenetv2_random.onnx`` and ``resnet18_random.onnx`` (opset 17,
input ``input`` 1x3x224x224 float32, output ``logits`` 1x1000). The
architectures are torchvision's ``mobilenet_v2()`` and ``resnet18()``; the
graphs are written the way ``torch.onnx.export(..., opset_version=17,
dynamo=False)`` writes those models, so the runner sees what users feed it:

* MobileNetV2 in eval mode with constant folding: BatchNorm folded into the
  preceding Conv (which gains a bias), ReLU6 as ``Clip(x, 0, 6)`` with min/max
  from ``Constant`` nodes, the residual ``Add``, ``GlobalAveragePool``,
  ``Flatten`` and ``Gemm(transB=1)``;
* ResNet-18 with explicit ``BatchNormalization`` nodes after bias-free Convs
  (what the exporter writes with ``do_constant_folding=False`` or
  ``training=TrainingMode.PRESERVE``), so a runner has to fold BatchNorm
  itself; ``Relu``, ``MaxPool``, ``Add`` then ``Relu`` per block,
  ``GlobalAveragePool``, ``Flatten``, ``Gemm``.

Weights are random but seeded (numpy ``default_rng``) and He-scaled
(std = sqrt(2 / fan_in) before a ReLU, sqrt(1 / fan_in) before a linear
output), and BatchNorm statistics are drawn near identity, so activations
stay O(1) through the whole network and logits come out O(1..10): outputs
of two runtimes can be compared with a meaningful tolerance. The same seed
gives byte-identical files, and `ensure()` rewrites a file only when it is
missing or differs.
"""
from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
INPUT_SHAPE = (1, 3, 224, 224)
CLASSES = 1000
SEED = 20261123
BN_EPS = 1e-5
ROOT = Path(__file__).resolve().parent.parent


class _Builder:
    """Accumulates nodes and initializers; names follow torch's `/<module>/<Op>` style."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits = [], []
        self.counter = 0

    def init(self, name, array):
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(self, op, inputs, name, **attrs):
        out = f"{name}_output_0"
        self.nodes.append(helper.make_node(op, inputs, [out], name=name, **attrs))
        return out

    def constant(self, scope, value):
        name = f"{scope}/Constant" + (f"_{self.counter}" if self.counter else "")
        self.counter += 1
        out = f"{name}_output_0"
        self.nodes.append(helper.make_node("Constant", [], [out], name=name,
                                           value=numpy_helper.from_array(np.array(value, np.float32))))
        return out

    # -- random parameters --------------------------------------------------

    def conv_weight(self, cout, cin_per_group, k, gain):
        fan_in = cin_per_group * k * k
        return (self.rng.standard_normal((cout, cin_per_group, k, k)) * np.sqrt(gain / fan_in)).astype(np.float32)

    def bn_params(self, c, gamma_scale=1.0):
        g = (self.rng.uniform(0.8, 1.2, c) * gamma_scale).astype(np.float32)
        b = self.rng.normal(0.0, 0.05, c).astype(np.float32)
        mean = self.rng.normal(0.0, 0.05, c).astype(np.float32)
        var = self.rng.uniform(0.8, 1.2, c).astype(np.float32)
        return g, b, mean, var

    # -- layers -------------------------------------------------------------

    def conv(self, x, scope, w, bias=None, stride=1, pad=0, group=1):
        k = w.shape[-1]
        inputs = [x, self.init(f"{scope}.weight", w)]
        if bias is not None:
            inputs.append(self.init(f"{scope}.bias", bias))
        return self.node("Conv", inputs, f"/{scope.replace('.', '/')}/Conv", dilations=[1, 1], group=group,
                         kernel_shape=[k, k], pads=[pad] * 4, strides=[stride, stride])

    def conv_bn_folded(self, x, scope, cin, cout, k, stride, group=1, gain=2.0):
        """Conv + eval BatchNorm folded as torch's exporter does (float32 arithmetic)."""
        w = self.conv_weight(cout, cin // group, k, gain)
        g, b, mean, var = self.bn_params(cout)
        scale = (g / np.sqrt(var + np.float32(BN_EPS))).astype(np.float32)
        wf = (w * scale[:, None, None, None]).astype(np.float32)
        bf = (b - mean * scale).astype(np.float32)
        return self.conv(x, scope, wf, bf, stride, (k - 1) // 2, group)

    def conv_bn(self, x, conv_scope, bn_scope, cin, cout, k, stride, gain=2.0, gamma_scale=1.0):
        """Bias-free Conv then a BatchNormalization node (inference mode)."""
        y = self.conv(x, conv_scope, self.conv_weight(cout, cin, k, gain), None, stride, (k - 1) // 2)
        g, b, mean, var = self.bn_params(cout, gamma_scale)
        names = [self.init(f"{bn_scope}.{p}", a) for p, a in
                 (("weight", g), ("bias", b), ("running_mean", mean), ("running_var", var))]
        return self.node("BatchNormalization", [y, *names], f"/{bn_scope.replace('.', '/')}/BatchNormalization",
                         epsilon=BN_EPS, momentum=0.9)

    def relu6(self, x, scope):
        lo = self.constant(f"/{scope.replace('.', '/')}", 0.0)
        hi = self.constant(f"/{scope.replace('.', '/')}", 6.0)
        return self.node("Clip", [x, lo, hi], f"/{scope.replace('.', '/')}/Clip")

    def head(self, x, features, scope):
        """GlobalAveragePool -> Flatten -> Gemm(transB=1) as torchvision's classifiers export."""
        x = self.node("GlobalAveragePool", [x], "/GlobalAveragePool")
        x = self.node("Flatten", [x], "/Flatten", axis=1)
        w = (self.rng.standard_normal((CLASSES, features)) * np.sqrt(1.0 / features)).astype(np.float32)
        b = self.rng.normal(0.0, 0.01, CLASSES).astype(np.float32)
        self.nodes.append(helper.make_node(
            "Gemm", [x, self.init(f"{scope}.weight", w), self.init(f"{scope}.bias", b)], ["logits"],
            name=f"/{scope.replace('.', '/')}/Gemm", alpha=1.0, beta=1.0, transB=1))
        return "logits"

    def model(self, name):
        graph = helper.make_graph(
            self.nodes, name,
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, list(INPUT_SHAPE))],
            [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [INPUT_SHAPE[0], CLASSES])],
            self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                                  producer_name="wasm_infer.tools.synthetic_models", producer_version="1")
        model.ir_version = 8
        onnx.checker.check_model(model)
        return model


# torchvision mobilenet_v2: (expansion t, channels c, repeats n, first stride s)
MOBILENETV2_SETTINGS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                        (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))


def mobilenetv2(seed=SEED) -> onnx.ModelProto:
    """torchvision.models.mobilenet_v2() (width 1.0), BatchNorm folded, random weights."""
    b = _Builder(seed)
    x = b.conv_bn_folded("input", "features.0.0", 3, 32, 3, 2)
    x = b.relu6(x, "features.0.2")
    cin, index = 32, 1
    for t, c, n, s in MOBILENETV2_SETTINGS:
        for i in range(n):
            stride = s if i == 0 else 1
            hidden = cin * t
            scope = f"features.{index}.conv"
            y, layer = x, 0
            if t != 1:
                y = b.conv_bn_folded(y, f"{scope}.{layer}.0", cin, hidden, 1, 1)
                y = b.relu6(y, f"{scope}.{layer}.2")
                layer += 1
            y = b.conv_bn_folded(y, f"{scope}.{layer}.0", hidden, hidden, 3, stride, group=hidden)
            y = b.relu6(y, f"{scope}.{layer}.2")
            # the projection is linear (no activation): unit gain keeps its variance
            y = b.conv_bn_folded(y, f"{scope}.{layer + 1}", hidden, c, 1, 1, gain=1.0)
            if stride == 1 and cin == c:
                y = b.node("Add", [x, y], f"/features/features.{index}/Add")
            x, cin, index = y, c, index + 1
    x = b.conv_bn_folded(x, f"features.{index}.0", cin, 1280, 1, 1)
    x = b.relu6(x, f"features.{index}.2")
    b.head(x, 1280, "classifier.1")
    return b.model("mobilenetv2_random")


def resnet18(seed=SEED + 1) -> onnx.ModelProto:
    """torchvision.models.resnet18(), explicit BatchNormalization nodes, random weights."""
    b = _Builder(seed)
    x = b.conv_bn("input", "conv1", "bn1", 3, 64, 7, 2)
    x = b.node("Relu", [x], "/relu/Relu")
    x = b.node("MaxPool", [x], "/maxpool/MaxPool", ceil_mode=0, dilations=[1, 1], kernel_shape=[3, 3],
               pads=[1, 1, 1, 1], strides=[2, 2])
    cin = 64
    for stage, (c, first_stride) in enumerate(((64, 1), (128, 2), (256, 2), (512, 2)), 1):
        for block in range(2):
            stride = first_stride if block == 0 else 1
            p = f"layer{stage}.{block}"
            y = b.conv_bn(x, f"{p}.conv1", f"{p}.bn1", cin, c, 3, stride)
            y = b.node("Relu", [y], f"/{p.replace('.', '/')}/relu/Relu")
            # a smaller last gamma in each residual branch (like zero-init-residual,
            # but not zero) keeps the variance from doubling at every Add
            y = b.conv_bn(y, f"{p}.conv2", f"{p}.bn2", c, c, 3, 1, gamma_scale=0.5)
            identity = x
            if stride != 1 or cin != c:
                identity = b.conv_bn(x, f"{p}.downsample.0", f"{p}.downsample.1", cin, c, 1, stride, gain=1.0)
            y = b.node("Add", [y, identity], f"/{p.replace('.', '/')}/Add")
            x = b.node("Relu", [y], f"/{p.replace('.', '/')}/relu_1/Relu")
            cin = c
    b.head(x, 512, "fc")
    return b.model("resnet18_random")


def mlp_head_if():
    """A small classifier head shaped like a wake-word model's: input [1, 16, 96]
    (16 frames of 96 features), Flatten, five Linear + LayerNorm (written out
    as ReduceMean/Sub/Mul/ReduceMean/Add/Sqrt/Div/Mul/Add, as older exporters
    do) + ReLU layers, a Linear to one logit, Sigmoid, and an `If` on the
    batch size (batch 1: the score as is; else its maximum over the batch).
    64 nodes in the main graph: per-node cost decides its speed."""
    rng = np.random.default_rng(SEED)
    nodes, inits = [], []

    def init(name, a):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(a), name))
        return name

    def node(op, inputs, name, **attrs):
        nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name
    init("eps", np.array(1e-5, np.float32))
    init("zero", np.array(0, np.int64))
    init("one", np.array(1, np.int64))
    x = node("Flatten", ["input"], "/flatten/Flatten", axis=1)
    width = 16 * 96
    for i, out in enumerate((256, 128, 128, 64, 64)):
        w = init(f"fc{i}.weight", (rng.standard_normal((width, out)) * np.sqrt(2 / width)).astype(np.float32))
        b = init(f"fc{i}.bias", (rng.standard_normal(out) * 0.1).astype(np.float32))
        p = f"/layers.{i}"
        x = node("Add", [node("MatMul", [x, w], f"{p}/MatMul"), b], f"{p}/Add")
        mean = node("ReduceMean", [x], f"{p}/ln/ReduceMean", axes=[-1], keepdims=1)
        d = node("Sub", [x, mean], f"{p}/ln/Sub")
        var = node("ReduceMean", [node("Mul", [d, d], f"{p}/ln/Mul")], f"{p}/ln/ReduceMean_1", axes=[-1], keepdims=1)
        std = node("Sqrt", [node("Add", [var, "eps"], f"{p}/ln/Add")], f"{p}/ln/Sqrt")
        y = node("Div", [d, std], f"{p}/ln/Div")
        g = init(f"ln{i}.weight", (1 + 0.1 * rng.standard_normal(out)).astype(np.float32))
        beta = init(f"ln{i}.bias", (0.1 * rng.standard_normal(out)).astype(np.float32))
        y = node("Add", [node("Mul", [y, g], f"{p}/ln/Mul_1"), beta], f"{p}/ln/Add_1")
        x = node("Relu", [y], f"{p}/Relu")
        width = out
    w = init("out.weight", (rng.standard_normal((width, 1)) * np.sqrt(1 / width)).astype(np.float32))
    b = init("out.bias", np.zeros(1, np.float32))
    score = node("Sigmoid", [node("Add", [node("MatMul", [x, w], "/out/MatMul"), b], "/out/Add")], "/Sigmoid")
    batch = node("Gather", [node("Shape", [score], "/Shape"), "zero"], "/Gather", axis=0)
    single = node("Equal", [batch, "one"], "/Equal")
    vi = helper.make_tensor_value_info
    then_g = helper.make_graph([helper.make_node("Identity", [score], ["then_out"])], "then", [],
                               [vi("then_out", TensorProto.FLOAT, None)])
    else_g = helper.make_graph([helper.make_node("ReduceMax", [score], ["else_out"], axes=[0], keepdims=1)], "else",
                               [], [vi("else_out", TensorProto.FLOAT, None)])
    nodes.append(helper.make_node("If", [single], ["score"], name="/If", then_branch=then_g, else_branch=else_g))
    graph = helper.make_graph(nodes, "mlp_head_if", [vi("input", TensorProto.FLOAT, [1, 16, 96])],
                              [vi("score", TensorProto.FLOAT, [1, 1])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="wasm_infer.tools.synthetic_models", producer_version="1")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


MODELS = {"mobilenetv2_random": mobilenetv2, "resnet18_random": resnet18, "mlp_head_if": mlp_head_if}

# Chains of n identical nodes on 64 values, to measure the fixed cost of one
# planned step inside Pyodide (tools/bench_pyodide.py step_cost): per step =
# (time of the 201-node chain - time of the 1-node chain) / 200. The kinds:
# a kernel step (Relu on float32: the clamp kernel), a NumPy step with out=
# (Relu on float64: numpy.maximum into the arena), a NumPy step that
# allocates (Sign on float32: the op's run). Every chain ends with one Relu
# of its dtype, so that each has a plan (the last Sign's output is adopted).
STEP_KINDS = {"kernel": ("Relu", TensorProto.FLOAT), "numpy_out": ("Relu", TensorProto.DOUBLE),
              "numpy": ("Sign", TensorProto.FLOAT)}
STEP_LENGTHS = (1, 201)


def step_chain(kind, n):
    op, elem = STEP_KINDS[kind]
    nodes = [helper.make_node(op, [f"x{i}"], [f"x{i + 1}"]) for i in range(n)]
    nodes.append(helper.make_node("Relu", [f"x{n}"], ["y"]))
    graph = helper.make_graph(nodes, f"step_{kind}_{n}", [helper.make_tensor_value_info("x0", elem, [1, 64])],
                              [helper.make_tensor_value_info("y", elem, [1, 64])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="wasm_infer.tools.synthetic_models", producer_version="1")
    model.ir_version = 8
    return model


STEP_MODELS = {f"step_{kind}_{n}": (lambda kind=kind, n=n: step_chain(kind, n))
               for kind in STEP_KINDS for n in STEP_LENGTHS}


def ensure(out_dir, names=tuple(MODELS) + tuple(STEP_MODELS)):
    """Write <out_dir>/<name>.onnx for each model unless an identical file is there. Returns the paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in names:
        path = out_dir / f"{name}.onnx"
        data = {**MODELS, **STEP_MODELS}[name]().SerializeToString()
        if not path.is_file() or hashlib.sha256(path.read_bytes()).digest() != hashlib.sha256(data).digest():
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
        paths.append(path)
    return paths


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", default=str(ROOT / "build" / "models"))
    args = ap.parse_args(argv)
    for p in ensure(args.out_dir):
        print(f"{p} ({p.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
