"""Small synthetic models that exercise many corners of the format, as seeds
for the fuzzer (tests/fuzzing.py). Host side: builds them with onnx.helper."""
import numpy as np
from onnx import TensorProto, helper, numpy_helper

F, I64 = TensorProto.FLOAT, TensorProto.INT64


def _model(nodes, inputs, outputs, inits=(), opset=17, functions=(), sparse=()):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(inits), sparse_initializer=list(sparse))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset),
                                                helper.make_opsetid("local", 1)], functions=list(functions))
    m.ir_version = 8
    return m.SerializeToString()


def _vi(name, t, shape):
    return helper.make_tensor_value_info(name, t, shape)


def conv_net():
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.standard_normal((8, 3, 3, 3)).astype(np.float32), "w")
    b = numpy_helper.from_array(rng.standard_normal(8).astype(np.float32), "b")
    dw = numpy_helper.from_array(rng.standard_normal((8, 1, 3, 3)).astype(np.float32), "dw")
    fc = numpy_helper.from_array(rng.standard_normal((8, 5)).astype(np.float32), "fc")
    lo = numpy_helper.from_array(np.array(0, np.float32), "lo")
    hi = numpy_helper.from_array(np.array(6, np.float32), "hi")
    shape = helper.make_tensor("shape", I64, [2], [-1, 8])      # int64_data, packed varints
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1], strides=[2, 2]),
             helper.make_node("Clip", ["c", "lo", "hi"], ["r"]),
             helper.make_node("Conv", ["r", "dw"], ["d"], group=8, pads=[1, 1, 1, 1]),
             helper.make_node("Add", ["d", "r"], ["s"]),
             helper.make_node("GlobalAveragePool", ["s"], ["p"]),
             helper.make_node("Reshape", ["p", "shape"], ["f"]),
             helper.make_node("Gemm", ["f", "fc"], ["y"])]
    return _model(nodes, [_vi("x", F, ["N", 3, 16, 16])], [_vi("y", F, ["N", 5])], [w, b, dw, fc, lo, hi, shape])


def shapes_net():
    """Shape-driven allocations: Expand, ConstantOfShape, Tile, Range, Pad, Slice, Gather, Concat."""
    inits = [helper.make_tensor("to", I64, [2], [4, 6]), helper.make_tensor("reps", I64, [2], [2, 1]),
             helper.make_tensor("start", F, [], [0.0]), helper.make_tensor("limit", F, [], [5.0]),
             helper.make_tensor("delta", F, [], [1.0]), helper.make_tensor("pads", I64, [4], [0, 1, 0, 1]),
             helper.make_tensor("idx", I64, [3], [0, 2, -1]), helper.make_tensor("axes", I64, [1], [1]),
             helper.make_tensor("st", I64, [1], [1]), helper.make_tensor("en", I64, [1], [5])]
    nodes = [helper.make_node("Expand", ["x", "to"], ["e"]),
             helper.make_node("ConstantOfShape", ["to"], ["z"], value=helper.make_tensor("v", F, [1], [0.5])),
             helper.make_node("Add", ["e", "z"], ["a"]),
             helper.make_node("Tile", ["a", "reps"], ["t"]),
             helper.make_node("Pad", ["t", "pads"], ["p"]),
             helper.make_node("Slice", ["p", "st", "en", "axes"], ["s"]),
             helper.make_node("Gather", ["s", "idx"], ["g"], axis=1),
             helper.make_node("Range", ["start", "limit", "delta"], ["r"]),
             helper.make_node("Unsqueeze", ["r", "axes"], ["ru"]),
             helper.make_node("Softmax", ["g"], ["y"], axis=-1)]
    return _model(nodes, [_vi("x", F, [1, 6])], [_vi("y", F, None), _vi("r", F, None)], inits)


def control_flow():
    then = helper.make_graph([helper.make_node("Relu", ["x"], ["o"])], "then", [], [_vi("o", F, None)])
    els = helper.make_graph([helper.make_node("Neg", ["x"], ["o"])], "else", [], [_vi("o", F, None)])
    body = helper.make_graph(
        [helper.make_node("Add", ["acc", "x"], ["acc2"]), helper.make_node("Identity", ["cond"], ["cond2"])],
        "body", [_vi("i", I64, []), _vi("cond", TensorProto.BOOL, []), _vi("acc", F, None)],
        [_vi("cond2", TensorProto.BOOL, []), _vi("acc2", F, None)])
    inits = [helper.make_tensor("n", I64, [], [3]), helper.make_tensor("t", TensorProto.BOOL, [], [True]),
             helper.make_tensor("zero", F, [3], [0, 0, 0])]
    nodes = [helper.make_node("ReduceSum", ["x"], ["sum"], keepdims=0),
             helper.make_node("Greater", ["sum", "zerof"], ["c"]),
             helper.make_node("If", ["c"], ["i"], then_branch=then, else_branch=els),
             helper.make_node("Loop", ["n", "t", "zero"], ["y"], body=body),
             helper.make_node("Add", ["i", "y"], ["out"])]
    inits.append(helper.make_tensor("zerof", F, [], [0.0]))
    return _model(nodes, [_vi("x", F, [3])], [_vi("out", F, [3])], inits)


def dtypes_net():
    """Initializers in every storage form: strings, float16 bit patterns,
    bfloat16, int4 packing, uint64, double_data, a sparse initializer, and a
    model-local function."""
    inits = [helper.make_tensor("s", TensorProto.STRING, [2], [b"a", b"bc"]),
             helper.make_tensor("h", TensorProto.FLOAT16, [2], [0.5, -1.0]),
             helper.make_tensor("bf", TensorProto.BFLOAT16, [2], [1.0, 2.0]),
             helper.make_tensor("i4", TensorProto.INT4, [3], [1, -2, 7]),
             helper.make_tensor("u64", TensorProto.UINT64, [2], [1, 2**63]),
             helper.make_tensor("d", TensorProto.DOUBLE, [2], [1.5, 2.5]),
             helper.make_tensor("i32", TensorProto.INT32, [3], [1, -5, 7]),
             helper.make_tensor("bo", TensorProto.BOOL, [2], [True, False])]
    sparse = [helper.make_sparse_tensor(helper.make_tensor("sv", F, [2], [1.0, 2.0]),
                                        helper.make_tensor("si", I64, [2], [1, 4]), [2, 3])]
    fn = helper.make_function("local", "Twice", ["a"], ["b"], [helper.make_node("Add", ["a", "a"], ["b"])],
                              [helper.make_opsetid("", 17)])
    nodes = [helper.make_node("Cast", ["h"], ["hf"], to=F),
             helper.make_node("Cast", ["bf"], ["bff"], to=F),
             helper.make_node("Cast", ["i4"], ["i4f"], to=F),
             helper.make_node("Cast", ["d"], ["df"], to=F),
             helper.make_node("Concat", ["hf", "bff", "df"], ["cat"], axis=0),
             helper.make_node("Twice", ["cat"], ["tw"], domain="local"),
             helper.make_node("Mul", ["x", "sv_dense"], ["m"]),
             helper.make_node("Identity", ["s"], ["so"]),
             helper.make_node("Cast", ["u64"], ["uf"], to=F),
             helper.make_node("Cast", ["i32"], ["i32f"], to=F),
             helper.make_node("Cast", ["bo"], ["bof"], to=F)]
    sparse[0].values.name = "sv_dense"
    return _model(nodes, [_vi("x", F, [2, 3])],
                  [_vi("tw", F, None), _vi("m", F, None), _vi("so", TensorProto.STRING, None), _vi("i4f", F, None),
                   _vi("uf", F, None), _vi("i32f", F, None), _vi("bof", F, None)],
                  inits, functions=[fn], sparse=sparse)


def matmul_net():
    rng = np.random.default_rng(1)
    w = numpy_helper.from_array(rng.standard_normal((6, 4)).astype(np.float32), "w")
    nodes = [helper.make_node("MatMul", ["x", "w"], ["m"]), helper.make_node("Sigmoid", ["m"], ["s"]),
             helper.make_node("Mul", ["m", "s"], ["y"]),
             helper.make_node("Transpose", ["y"], ["yt"], perm=[0, 2, 1]),
             helper.make_node("ReduceMean", ["yt"], ["r"], axes=[2], keepdims=1)]
    return _model(nodes, [_vi("x", F, ["B", 5, 6])], [_vi("r", F, ["B", 4, 1])], [w])


ALL = {"conv_net": conv_net, "shapes_net": shapes_net, "control_flow": control_flow, "dtypes_net": dtypes_net,
       "matmul_net": matmul_net}


def write(directory):
    """Write every model to directory/NAME.onnx; returns the paths."""
    from pathlib import Path
    out = []
    for name, make in ALL.items():
        p = Path(directory) / f"{name}.onnx"
        p.write_bytes(make())
        out.append(p)
    return out


if __name__ == "__main__":
    import sys
    for p in write(sys.argv[1]):
        print(p)
