"""onnxruntime as the reference for int8 results, on any x86 host.

On a CPU with AVX2 but neither AVX-VNNI nor AVX-512 (AMD Zen 2 and 3, Intel
before Ice Lake), onnxruntime's GEMM for uint8 activations times int8 weights
multiplies with vpmaddubsw, which saturates the sum of each pair of products
to int16 (onnxruntime's quantization docs say so). Its results then depend on
the machine: 255 * 127 summed over 64 terms gives 1048544 instead of 2072640.
Its uint8 x uint8, int8 x int8 and int8 x uint8 kernels are exact.

`session()` is the reference session of the test suite and build/zoo: when
`u8s8_saturates()` finds that on this host, it gives onnxruntime the model
with its int8 weight initializers re-expressed as uint8 (w + 128 with zero
point zp + 128: the same differences w - zp, so the same integer products and
the same real values), which onnxruntime computes exactly. Elsewhere the model
goes to onnxruntime unchanged. Either way the reference is the integer
arithmetic the ONNX spec defines, whichever machine makes it.
"""
import functools

import numpy as np

# (domain, op) -> (weight input, its zero point, the activation's zero point)
# triples. A missing weight zero point is 0 (int8), so the uint8 form gets
# 128; an int8 activation zero point means int8 x int8, which is exact (and
# onnxruntime has no int8 x uint8 QLinearConv), so those nodes stay.
WEIGHT_SLOTS = {
    ("", "DequantizeLinear"): [(0, 2, None)],
    ("", "QLinearConv"): [(3, 5, 2)],
    ("", "QLinearMatMul"): [(3, 5, 2)],
    ("", "MatMulInteger"): [(1, 3, 2)],
    ("", "ConvInteger"): [(1, 3, 2)],
    ("com.microsoft", "QGemm"): [(3, 5, 2)],
    ("com.microsoft", "MatMulIntegerToFloat"): [(1, 5, 4)],
    ("com.microsoft", "DynamicQuantizeMatMul"): [(1, 3, None)],
    ("com.microsoft", "DynamicQuantizeLSTM"): [(1, 9, None), (2, 11, None)],
}
# DequantizeLinear's zero point has the shape of its scale (input 1)
SCALE_OF = {("", "DequantizeLinear"): 1}


@functools.lru_cache(maxsize=None)
def u8s8_saturates():
    """Whether this host's onnxruntime saturates uint8 x int8 products (one
    MatMulInteger of 255 by 127 over 64 terms)."""
    import onnxruntime as ort
    from onnx import TensorProto, helper
    graph = helper.make_graph(
        [helper.make_node("MatMulInteger", ["a", "b"], ["y"])], "probe",
        [helper.make_tensor_value_info("a", TensorProto.UINT8, [1, 64]),
         helper.make_tensor_value_info("b", TensorProto.INT8, [64, 1])],
        [helper.make_tensor_value_info("y", TensorProto.INT32, [1, 1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    (y,) = sess.run(None, {"a": np.full((1, 64), 255, np.uint8), "b": np.full((64, 1), 127, np.int8)})
    return int(y[0, 0]) != 64 * 255 * 127


def describe():
    """One line for test headers and logs."""
    if u8s8_saturates():
        return ("onnxruntime saturates uint8 x int8 products on this CPU (AVX2 without VNNI): "
                "int8 references run with the weights re-expressed as uint8 (tools/ort_reference.py)")
    return "onnxruntime's uint8 x int8 products are exact on this CPU: int8 references run unchanged"


def weights_as_uint8(model):
    """A copy of `model` (ModelProto, bytes or path) whose int8 weights, in
    the slots of WEIGHT_SLOTS, are uint8 with zero points moved by 128:
    initializers converted here, graph inputs by nodes at the top of the graph
    (Cast to int32, Add 128, Cast to uint8). Intermediate values and subgraphs
    stay as they are. Returns a ModelProto."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    if isinstance(model, (bytes, bytearray)):
        model = onnx.load_from_string(bytes(model))
    elif not isinstance(model, onnx.ModelProto):
        model = onnx.load(str(model))
    else:
        model = onnx.ModelProto.FromString(model.SerializeToString())
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    inputs = {i.name: i.type.tensor_type.elem_type for i in graph.input if i.name not in inits}
    made, top = {}, []      # name in the model -> its uint8 form's name; nodes for the top

    def int8(name):
        if name in inits:
            return inits[name].data_type == TensorProto.INT8
        return inputs.get(name) == TensorProto.INT8

    def constant(name, make):
        """An initializer `name` of make()'s array, added once."""
        if name not in made:
            made[name] = name
            graph.initializer.append(numpy_helper.from_array(make(), name))
        return name

    def shifted(name):
        if name in made:
            return made[name]
        out = f"{name}::uint8"
        if name in inits:
            constant(out, lambda: (numpy_helper.to_array(inits[name]).astype(np.int16) + 128).astype(np.uint8))
        else:
            top.extend([helper.make_node("Cast", [name], [f"{out}::int32"], to=TensorProto.INT32),
                        helper.make_node("Add", [f"{out}::int32", constant("::128", lambda: np.array(128, np.int32))],
                                         [f"{out}::shifted"]),
                        helper.make_node("Cast", [f"{out}::shifted"], [out], to=TensorProto.UINT8)])
        made[name] = out
        return out

    for node in graph.node:
        key = (node.domain if node.domain != "ai.onnx" else "", node.op_type)
        for w, zp, a_zp in WEIGHT_SLOTS.get(key, ()):
            if w >= len(node.input) or not int8(node.input[w]):
                continue
            if a_zp is not None and a_zp < len(node.input) and int8(node.input[a_zp]):
                continue
            has_zp = zp < len(node.input) and node.input[zp] != ""
            if has_zp and not int8(node.input[zp]):
                continue
            shape = ()
            if not has_zp and key in SCALE_OF:
                scale = node.input[SCALE_OF[key]]
                if scale not in inits:
                    continue
                shape = numpy_helper.to_array(inits[scale]).shape
            weight = node.input[w]
            node.input[w] = shifted(weight)
            if has_zp:
                node.input[zp] = shifted(node.input[zp])
            else:
                while len(node.input) <= zp:
                    node.input.append("")
                node.input[zp] = constant(f"{weight}::zero_point", lambda: np.full(shape, 128, np.uint8))
    nodes = top + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    # the int8 originals no node reads any more go (onnxruntime would warn of each)
    used = {i for n in graph.node for i in n.input} | {o.name for o in graph.output} | {g.name for g in graph.input}
    keep = [i for i in graph.initializer if i.name in used]
    del graph.initializer[:]
    graph.initializer.extend(keep)
    return model


def session(model, options=None):
    """The onnxruntime CPU session the suite compares with: `model` (bytes,
    path or ModelProto) as it is, or as weights_as_uint8 when this host's
    onnxruntime saturates uint8 x int8 products."""
    import onnx
    import onnxruntime as ort
    if u8s8_saturates():
        model = weights_as_uint8(model)
    if isinstance(model, onnx.ModelProto):
        model = model.SerializeToString()
    elif not isinstance(model, (bytes, bytearray)):
        model = str(model)
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
