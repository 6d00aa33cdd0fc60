"""Small models that try to make a session big or slow (issue 17): long and
wide graphs, a function-inlining bomb, constant-folding bombs, files of tiny
protobuf fields that decode into many objects, an endless
Loop, outputs that are constants, an LSTM over a long sequence. Built with onnx.helper on the host;
tests/test_hostile_models.py uses them natively and
tests/node/robustness.test.mjs inside Pyodide:

    python tests/hostile_models.py OUT_DIR    writes OUT_DIR/<name>.onnx
"""
import sys
from pathlib import Path

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from fuzzing import encode_field as _field, encode_varint as _varint

F, I64 = TensorProto.FLOAT, TensorProto.INT64


def _model(nodes, inputs, outputs, inits=(), opset=17, functions=(), ir_version=8, ml=False):
    graph = helper.make_graph(nodes, "hostile", inputs, outputs,
                              [numpy_helper.from_array(np.asarray(v), k) for k, v in dict(inits).items()])
    opsets = [helper.make_opsetid("", opset)] + ([helper.make_opsetid("bomb", 1)] if functions else []) + \
        ([helper.make_opsetid("ai.onnx.ml", 3)] if ml else [])
    m = helper.make_model(graph, opset_imports=opsets, functions=list(functions))
    m.ir_version = ir_version
    return m.SerializeToString()


def _vi(name, elem=F, shape=None):
    return helper.make_tensor_value_info(name, elem, shape)


def chain(n, width=0):
    """x -> Relu -> Relu -> ... (n nodes) -> y; with `width`, the numbers in
    the names are zero-padded to that many digits (names of one length
    whatever n, so the file grows as the node count does)."""
    names = ["x"] + [f"v{i:0{width}}" for i in range(1, n)] + ["y"]
    nodes = [helper.make_node("Relu", [names[i]], [names[i + 1]], name=f"r{i:0{width}}") for i in range(n)]
    return _model(nodes, [_vi("x", F, [4])], [_vi("y", F, [4])])


def wide(n):
    """n parallel branches Relu(x), all alive until one Sum reads them."""
    nodes = [helper.make_node("Relu", ["x"], [f"b{i}"], name=f"r{i}") for i in range(n)]
    nodes.append(helper.make_node("Sum", [f"b{i}" for i in range(n)], ["y"], name="sum"))
    return _model(nodes, [_vi("x", F, [4])], [_vi("y", F, [4])])


def cast_chain(n):
    """x -> Cast -> Cast -> ... (n nodes, float to float) -> y, with a value_info for every value:
    each Cast is a no-op the passes remove (but the last, which makes the output), after looking
    up its input's type."""
    names = ["x"] + [f"v{i}" for i in range(1, n)] + ["y"]
    nodes = [helper.make_node("Cast", [names[i]], [names[i + 1]], to=F, name=f"c{i}") for i in range(n)]
    graph = helper.make_graph(nodes, "g", [_vi("x", F, [4])], [_vi("y", F, [4])],
                              value_info=[_vi(v, F, [4]) for v in names[1:-1]])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8).SerializeToString()


def inlining_bomb(levels=30):
    """Local functions f0 .. f{levels}: each calls the next twice, the last is
    one Relu; the graph calls f0 once, so inlining makes 2^levels nodes."""
    fns = []
    for i in range(levels):
        body = [helper.make_node(f"f{i + 1}", ["a"], ["t"], domain="bomb"),
                helper.make_node(f"f{i + 1}", ["t"], ["b"], domain="bomb")]
        fns.append(helper.make_function("bomb", f"f{i}", ["a"], ["b"], body, [helper.make_opsetid("", 17),
                                                                             helper.make_opsetid("bomb", 1)]))
    fns.append(helper.make_function("bomb", f"f{levels}", ["a"], ["b"], [helper.make_node("Relu", ["a"], ["b"])],
                                    [helper.make_opsetid("", 17)]))
    return _model([helper.make_node("f0", ["x"], ["y"], domain="bomb", name="call")],
                  [_vi("x", F, [4])], [_vi("y", F, [4])], functions=fns)


def range_bomb():
    """Range(0, 2^40, 1) from constants: folded at load, it would be 8 TiB."""
    return _model([helper.make_node("Range", ["s", "l", "d"], ["r"], name="range"),
                   helper.make_node("Add", ["x", "r"], ["y"], name="add")],
                  [_vi("x", I64, [1])], [_vi("y", I64, None)],
                  {"s": np.int64(0), "l": np.int64(1 << 40), "d": np.int64(1)})


def constant_of_shape_bomb():
    """ConstantOfShape([2^20, 2^20]) from a constant shape: 4 TiB of float32."""
    return _model([helper.make_node("ConstantOfShape", ["shape"], ["c"], name="cos"),
                   helper.make_node("Add", ["x", "c"], ["y"], name="add")],
                  [_vi("x", F, [1])], [_vi("y", F, None)], {"shape": np.array([1 << 20, 1 << 20], np.int64)})


def expand_bomb():
    """Expand a constant [1] to [2^16, 2^16]: 16 GiB."""
    return _model([helper.make_node("Expand", ["one", "shape"], ["e"], name="expand"),
                   helper.make_node("Add", ["x", "e"], ["y"], name="add")],
                  [_vi("x", F, [1])], [_vi("y", F, None)],
                  {"one": np.ones(1, np.float32), "shape": np.array([1 << 16, 1 << 16], np.int64)})


def tile_bomb():
    """Tile a constant [2, 2] by [2^15, 2^15]: 16 GiB."""
    return _model([helper.make_node("Tile", ["c", "reps"], ["t"], name="tile"),
                   helper.make_node("Add", ["x", "t"], ["y"], name="add")],
                  [_vi("x", F, [1])], [_vi("y", F, None)],
                  {"c": np.ones((2, 2), np.float32), "reps": np.array([1 << 15, 1 << 15], np.int64)})


def concat_bomb(levels=40):
    """c0 = a 1 MiB constant; c{i+1} = Concat(c{i}, c{i}): each folded
    constant is twice the last, none made by a shape-producing op."""
    nodes = [helper.make_node("Concat", [f"c{i}", f"c{i}"], [f"c{i + 1}"], axis=0, name=f"cat{i}")
             for i in range(levels)]
    nodes.append(helper.make_node("Add", ["x", f"c{levels}"], ["y"], name="add"))
    return _model(nodes, [_vi("x", F, [1])], [_vi("y", F, None)], {"c0": np.ones(1 << 18, np.float32)})


def runtime_expand(dims=(1 << 16, 1 << 16)):
    """Expand x by a shape fed at run time (nothing to fold)."""
    return _model([helper.make_node("Expand", ["x", "shape"], ["y"], name="expand")],
                  [_vi("x", F, [1]), _vi("shape", I64, [len(dims)])], [_vi("y", F, None)])


def huge_broadcast():
    """a [2^16, 1] + b [1, 2^16]: 16 GiB of float32 from two 256 kB feeds, at run time."""
    return _model([helper.make_node("Add", ["a", "b"], ["y"], name="add")],
                  [_vi("a", F, ["m", 1]), _vi("b", F, [1, "n"])], [_vi("y", F, None)])


def expanding_bombs(n=1 << 12):
    """name -> a model whose node 'bomb' makes an n x n result (or n * n
    values) from a few kB of constants or attributes: broadcasts, products
    (the ai.onnx.ml linear, SVM and tree ones too), gathers, pads of a Conv
    or a pool, the ops whose output size is an attribute or an input's
    value, a Loop's scan output, and a Python object per piece or row
    (SplitToSequence, ZipMap). Except the LSTM's: its output is its hidden
    size (256) times X, so X holds n * n / 256 values (256 kB at n = 4096). The deterministic ones are folded at
    load, the others (random ops, Loop) make theirs at the first run.
    n = 4096: 64 MiB of float32."""
    col, row, vec = np.ones((n, 1), np.float32), np.ones((1, n), np.float32), np.ones(n, np.float32)
    img, one = np.ones((1, 1, 2, 2), np.float32), np.ones((1, 1, 1, 1), np.float32)
    i64 = lambda *v: np.array(v, np.int64)      # noqa: E731
    # a Loop of n iterations whose body makes n values each: its scan output stacks them to n x n
    body = helper.make_graph(
        [helper.make_node("Identity", ["c_in"], ["c_out"]),
         helper.make_node("ConstantOfShape", ["len"], ["row"], value=numpy_helper.from_array(np.ones(1, np.float32)))],
        "body", [_vi("i", I64, []), _vi("c_in", TensorProto.BOOL, [])],
        [_vi("c_out", TensorProto.BOOL, []), _vi("row", F, None)], [numpy_helper.from_array(np.array([n], np.int64), "len")])
    cases = {   # name: (op, inputs {name: value}, attributes, opset)
        "loop_scan_output": ("Loop", {"m": np.array(n, np.int64), "cond": None}, {"body": body}, 17),
        "add": ("Add", {"a": col, "b": row}, {}, 17),
        "greater": ("Greater", {"a": col, "b": row}, {}, 17),
        "where": ("Where", {"c": np.ones((1, 1), bool), "a": col, "b": row}, {}, 17),
        "max": ("Max", {"a": col, "b": row}, {}, 17),
        "prelu": ("PRelu", {"a": col, "b": row}, {}, 17),
        "matmul": ("MatMul", {"a": col, "b": row}, {}, 17),
        "gemm": ("Gemm", {"a": col, "b": row}, {}, 17),
        "einsum": ("Einsum", {"a": vec, "b": vec}, {"equation": "i,j->ij"}, 17),
        "gather": ("Gather", {"a": row, "i": np.zeros(n, np.int64)}, {}, 17),
        "gather_nd": ("GatherND", {"a": row, "i": np.zeros((n, 1), np.int64)}, {}, 17),
        "resize": ("Resize", {"x": img, "roi": None, "s": np.array([1, 1, n / 2, n / 2], np.float32)}, {}, 18),
        "conv_transpose": ("ConvTranspose", {"x": img, "w": one}, {"strides": [n, n]}, 17),
        "grid_sample": ("GridSample", {"x": np.ones((1, n, 1, 1), np.float32), "g": np.zeros((1, n, 1, 2), np.float32)},
                        {}, 16),
        "attention": ("Attention", {"q": col.reshape(1, 1, n, 1), "k": col.reshape(1, 1, n, 1),
                                    "v": col.reshape(1, 1, n, 1)}, {}, 23),
        "conv_pads": ("Conv", {"x": one, "w": one}, {"pads": [n, n, n, n]}, 17),
        "max_pool_pads": ("MaxPool", {"x": one}, {"pads": [n // 2] * 4, "kernel_shape": [n // 2 + 1] * 2}, 17),
        "max_unpool": ("MaxUnpool", {"x": one, "i": np.zeros((1, 1, 1, 1), np.int64), "s": i64(1, 1, n, n)},
                       {"kernel_shape": [1, 1]}, 17),
        "center_crop_pad": ("CenterCropPad", {"x": np.ones((1, 1), np.float32), "s": i64(n, n)}, {}, 18),
        "hann_window": ("HannWindow", {"s": np.array(n * n, np.int64)}, {}, 17),
        "mel_weight_matrix": ("MelWeightMatrix", {"m": np.array(n, np.int64), "d": np.array(2 * n, np.int64),
                                                  "r": np.array(16000, np.int64), "lo": np.float32(0),
                                                  "hi": np.float32(8000)}, {}, 17),
        "dft": ("DFT", {"x": np.ones((1, 2, 1), np.float32), "len": np.array(n * n, np.int64)}, {}, 17),
        "stft": ("STFT", {"x": np.ones((1, n, 1), np.float32), "step": np.array(1, np.int64), "win": None,
                          "len": np.array(n // 2, np.int64)}, {}, 17),
        "affine_grid": ("AffineGrid", {"t": np.ones((1, 2, 3), np.float32), "s": i64(1, 1, n, n)}, {}, 20),
        "roi_align": ("RoiAlign", {"x": img, "r": np.zeros((1, 4), np.float32), "b": np.zeros(1, np.int64)},
                      {"output_height": n, "output_width": n}, 17),
        # one output bin sampled adaptively: an n x n RoI makes an n x n grid of samples
        "roi_align_samples": ("RoiAlign", {"x": img, "r": np.array([[0, 0, n, n]], np.float32),
                                           "b": np.zeros(1, np.int64)}, {}, 17),
        "max_roi_pool": ("MaxRoiPool", {"x": img, "r": np.zeros((1, 5), np.float32)}, {"pooled_shape": [n, n]}, 17),
        "linear_classifier": ("LinearClassifier", {"x": col}, {"coefficients": [1.0] * n, "classlabels_ints": list(range(n))},
                              "ml"),
        "svm_regressor": ("SVMRegressor", {"x": col}, {"support_vectors": [1.0] * n, "coefficients": [1.0] * n,
                                                       "n_supports": n, "rho": [0.0]}, "ml"),
        "tree_ensemble_classifier": ("TreeEnsembleClassifier", {"x": col}, {
            "nodes_treeids": [0], "nodes_nodeids": [0], "nodes_featureids": [0], "nodes_modes": ["LEAF"],
            "nodes_values": [0.0], "nodes_truenodeids": [0], "nodes_falsenodeids": [0], "class_treeids": [0],
            "class_nodeids": [0], "class_ids": [0], "class_weights": [1.0], "classlabels_int64s": list(range(n))}, "ml"),
        "random_uniform": ("RandomUniform", {}, {"shape": [n, n]}, 17),
        "random_normal": ("RandomNormal", {}, {"shape": [n, n]}, 17),
        "multinomial": ("Multinomial", {"x": np.ones((1, 2), np.float32)}, {"sample_size": n * n}, 17),
        # the output's width is the largest n-gram index
        "tfidf_vectorizer": ("TfIdfVectorizer", {"x": np.ones((n, 1), np.int64)}, {
            "min_gram_length": 1, "max_gram_length": 1, "max_skip_count": 0, "mode": "TF", "pool_int64s": [1],
            "ngram_counts": [0], "ngram_indexes": [n - 1]}, 17),
        # hidden size 256 times a long X of one feature (n * n / 256 steps): n * n from 1 MiB of R
        "lstm": ("LSTM", {"x": np.ones((n * n // 256, 1, 1), np.float32), "w": np.ones((1, 1024, 1), np.float32),
                          "r": np.ones((1, 1024, 256), np.float32)}, {"hidden_size": 256}, 17),
        # a Python object a piece (~150 bytes) from an empty [n * n / 64, 0]: zero bytes of data
        "split_to_sequence": ("SplitToSequence", {"x": np.zeros((n * n // 64, 0), np.float32)}, {}, 17),
        # one column, placed by strides of n into an n x n image (the image's size is an input)
        "col2im": ("Col2Im", {"x": np.ones((1, 1, 1), np.float32), "i": i64(n, n), "b": i64(1, 1)},
                   {"strides": [n, n]}, 18),
        # n channels sampled at n output positions (a 1 x 1 input padded to 1 x n): the columns are n x n
        "deform_conv": ("DeformConv", {"x": np.ones((1, n, 1, 1), np.float32), "w": np.ones((1, n, 1, 1), np.float32),
                                       "o": np.zeros((1, 2, 1, n), np.float32)}, {"pads": [0, 0, 0, n - 1]}, 19),
        # every string's pieces padded to the longest's count: one of n words among n - 1 empty ones
        "string_split": ("StringSplit", {"x": np.array(["a " * n] + [""] * (n - 1), dtype=object)}, {}, 20),
        # a dict a row and a float object a score, ~160 bytes a score
        "zip_map": ("ZipMap", {"x": np.ones((n * 16, 2), np.float32)}, {"classlabels_int64s": [0, 1]}, "ml"),
    }
    out = {}
    for name, (op, inputs, attrs, opset) in cases.items():
        ml = opset == "ml"
        outputs = ["label", "y"] if op.endswith("Classifier") else ["y"]   # the bomb is the scores
        node = helper.make_node(op, [k if v is not None else "" for k, v in inputs.items()], outputs, name="bomb",
                                domain="ai.onnx.ml" if ml else "", **attrs)
        elem = {"Greater": TensorProto.BOOL, "Multinomial": TensorProto.INT32, "StringSplit": TensorProto.STRING}.get(op, F)
        y = _vi("y", elem, None)
        if op == "SplitToSequence":
            y = helper.make_tensor_sequence_value_info("y", F, None)
        elif op == "ZipMap":
            y = helper.make_value_info("y", helper.make_sequence_type_proto(
                helper.make_map_type_proto(I64, helper.make_tensor_type_proto(F, []))))
        out[name] = _model([node], [], [y], {k: v for k, v in inputs.items() if v is not None},
                           opset=17 if ml else opset, ml=ml)
    return out


def decoding_bombs(n=1 << 20):
    """name -> a model of 2-9 MiB (at n = 2**20) whose protobuf is n or so tiny fields (2-9 bytes
    each), each a Python object once decoded: a string tensor or attribute of empty strings, ints
    unpacked and packed, a shape of n dims, value_infos, metadata, opset imports, a node of n
    distinct input names. Decoded without a bound they made 20-100x their size."""
    def model(nodes=(), inputs=(), outputs=(), inits=(), value_info=(), opsets=(), ir_version=8):
        graph = helper.make_graph(list(nodes) or [helper.make_node("Relu", ["x"], ["y"])], "g",
                                  list(inputs) or [_vi("x", F, [4])], list(outputs) or [_vi("y", F, [4])],
                                  list(inits), value_info=list(value_info))
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), *opsets])
        m.ir_version = ir_version
        return m

    relu = lambda **attrs: helper.make_node("Relu", ["x"], ["y"], **attrs)     # noqa: E731
    metadata = model()
    helper.set_model_props(metadata, {f"k{i}": "" for i in range(n // 2)})
    bombs = {
        "string_tensor": model(inits=[helper.make_tensor("s", TensorProto.STRING, [n], [b""] * n)]),
        "strings_attribute": model([relu(junk=[b""] * n)]),
        "ints_attribute": model([relu(junk=list(range(n)))]),
        "shape_dims": model(value_info=[_vi("z", F, [1] * n)]),
        "value_infos": model(value_info=[_vi(f"z{i}", F, [4]) for i in range(n // 4)]),
        "metadata": metadata,
        "opset_imports": model(opsets=[helper.make_opsetid(f"d{i}", 1) for i in range(n // 2)]),
        "input_names": model([helper.make_node("Sum", [f"i{k}" for k in range(n)], ["y"])]),
    }
    out = {k: m.SerializeToString() for k, m in bombs.items()}
    # AttributeProto.ints packed (onnx writes it unpacked): 4 n one-byte varints in 4 n bytes.
    # ModelProto.graph (7) > GraphProto.node (1) > NodeProto.attribute (5) > AttributeProto:
    # name (1), type (20) = INTS (7), ints (8).
    attribute = _field(1, b"junk") + _varint(20 << 3) + _varint(7) + _field(8, b"\x01" * (4 * n))
    node = _field(1, b"x") + _field(2, b"y") + _field(4, b"Relu") + _field(5, attribute)
    graph = (_field(1, node) + _field(2, b"g") + _field(11, _vi("x", F, [4]).SerializeToString()) +
             _field(12, _vi("y", F, [4]).SerializeToString()))
    out["packed_ints_attribute"] = (_varint(1 << 3) + _varint(8) + _field(7, graph) +
                                    _field(8, helper.make_opsetid("", 17).SerializeToString()))
    return out


def endless_loop():
    """A Loop with no trip count whose condition stays true: y = x + 1 per iteration, forever."""
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"]),
         helper.make_node("Add", ["v_in", "one"], ["v_out"])], "body",
        [_vi("i", I64, []), helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []), _vi("v_in", F, [1])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []), _vi("v_out", F, [1])],
        [numpy_helper.from_array(np.ones(1, np.float32), "one")])
    return _model([helper.make_node("Loop", ["", "go", "x"], ["y"], body=body, name="forever")],
                  [_vi("x", F, [1])], [_vi("y", F, [1])], {"go": np.array(True)})


def constant_outputs():
    """Outputs that the session holds: a Constant, an initializer, an If
    branch's constant, OptionalHasElement, and one value under two names
    (r and its Identity, which a pass removes)."""
    then = helper.make_graph([helper.make_node("Constant", [], ["t"], value=numpy_helper.from_array(
        np.array([1.0, 2.0], np.float32)))], "then", [], [_vi("t", F, [2])])
    other = helper.make_graph([helper.make_node("Constant", [], ["e"], value=numpy_helper.from_array(
        np.array([3.0, 4.0], np.float32)))], "else", [], [_vi("e", F, [2])])
    nodes = [helper.make_node("Constant", [], ["const"], value=numpy_helper.from_array(
                 np.array([5.0, 6.0], np.float32)), name="constant"),
             helper.make_node("Identity", ["init"], ["from_init"], name="ident_init"),
             helper.make_node("ReduceSum", ["x"], ["s"], keepdims=0, name="sum"),
             helper.make_node("Greater", ["s", "zero"], ["pos"], name="greater"),
             helper.make_node("If", ["pos"], ["branch"], then_branch=then, else_branch=other, name="if"),
             helper.make_node("Optional", ["x"], ["opt"], name="optional"),
             helper.make_node("OptionalHasElement", ["opt"], ["has"], name="has"),
             helper.make_node("Relu", ["x"], ["r"], name="relu"),
             helper.make_node("Identity", ["r"], ["r_again"], name="ident_r")]
    outs = [_vi("const", F, [2]), _vi("init", F, [2]), _vi("from_init", F, [2]), _vi("branch", F, [2]),
            helper.make_tensor_value_info("has", TensorProto.BOOL, []), _vi("r", F, [2]), _vi("r_again", F, [2])]
    return _model(nodes, [_vi("x", F, [2])], outs,
                  {"init": np.array([7.0, 8.0], np.float32), "zero": np.float32(0)}, opset=18)


def long_lstm(hidden=4, name="lstm"):
    """An LSTM over a sequence of any length ("t" steps of one feature): its
    first run binds the kernels, which must cost the same however long t is."""
    rng = np.random.default_rng(17)
    w = (0.5 * rng.standard_normal((1, 4 * hidden, 1))).astype(np.float32)
    r = (0.5 * rng.standard_normal((1, 4 * hidden, hidden))).astype(np.float32)
    b = (0.1 * rng.standard_normal((1, 8 * hidden))).astype(np.float32)
    node = helper.make_node("LSTM", ["x", "w", "r", "b"], ["y", "y_h"], hidden_size=hidden, name=name)
    return _model([node], [_vi("x", F, ["t", 1, 1])], [_vi("y", F, None), _vi("y_h", F, None)],
                  {"w": w, "r": r, "b": b})


def slow_ops():
    """name -> a function making (model, feeds): one node, 'slow', that loops in
    Python over its data for seconds natively: an LSTM over 300,000 steps,
    MaxRoiPool's 2,000,000 bins, NonMaxSuppression over 20,000 disjoint boxes,
    TfIdfVectorizer over 3,000,000 positions, a MaxPool window of 16,000,000
    taps (43 s), a Conv of 4,004,001 kernel positions (13 s). Everything is
    fed, so nothing runs at load."""
    def lstm():
        return long_lstm(name="slow"), {
            "x": np.random.default_rng(0).standard_normal((300_000, 1, 1)).astype(np.float32)}

    def max_roi_pool():
        node = helper.make_node("MaxRoiPool", ["x", "rois"], ["y"], pooled_shape=[1, 2_000_000], name="slow")
        return (_model([node], [_vi("x", F, [1, 1, 2, 2]), _vi("rois", F, [1, 5])], [_vi("y", F, None)]),
                {"x": np.ones((1, 1, 2, 2), np.float32), "rois": np.array([[0, 0, 0, 1, 1]], np.float32)})

    def non_max_suppression(n=20_000):
        corner = np.arange(n, dtype=np.float32)[:, None] * 2
        node = helper.make_node("NonMaxSuppression", ["boxes", "scores", "most"], ["y"], name="slow")
        return (_model([node], [_vi("boxes", F, [1, n, 4]), _vi("scores", F, [1, 1, n])], [_vi("y", I64, None)],
                       {"most": np.array([n], np.int64)}),
                {"boxes": np.concatenate([corner, corner, corner + 1, corner + 1], axis=1)[None],
                 "scores": np.linspace(1, 0, n, dtype=np.float32)[None, None]})

    def tfidf_vectorizer():
        node = helper.make_node("TfIdfVectorizer", ["x"], ["y"], min_gram_length=1, max_gram_length=2,
                                max_skip_count=2, mode="TF", pool_int64s=[1, 1, 2], ngram_counts=[0, 1],
                                ngram_indexes=[0, 1], name="slow")
        return (_model([node], [_vi("x", I64, [1, "n"])], [_vi("y", F, None)]),
                {"x": np.ones((1, 3_000_000), np.int64)})
    def max_pool_window(n=2000):
        # one output whose window is the whole padded input: (2n + 1)**2 taps, a Python step each
        node = helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[2 * n + 1] * 2, pads=[n] * 4, name="slow")
        return (_model([node], [_vi("x", F, [1, 1, 1, 1])], [_vi("y", F, None)]),
                {"x": np.ones((1, 1, 1, 1), np.float32)})
    def conv_window(n=1000):
        # the same with fed weights: a Conv's step per kernel position, 4,004,001 of them
        node = helper.make_node("Conv", ["x", "w"], ["y"], pads=[n] * 4, name="slow")
        return (_model([node], [_vi("x", F, [1, 1, 1, 1]), _vi("w", F, [1, 1, 2 * n + 1, 2 * n + 1])],
                       [_vi("y", F, None)]),
                {"x": np.ones((1, 1, 1, 1), np.float32), "w": np.ones((1, 1, 2 * n + 1, 2 * n + 1), np.float32)})
    return {"lstm": lstm, "max_roi_pool": max_roi_pool, "non_max_suppression": non_max_suppression,
            "tfidf_vectorizer": tfidf_vectorizer, "max_pool_window": max_pool_window, "conv_window": conv_window}


def models():
    return {"chain_10000": chain(10_000), "chain_50000": chain(50_000), "chain_100000": chain(100_000), "wide_20000": wide(20_000),
            "inlining_bomb": inlining_bomb(), "range_bomb": range_bomb(), "expand_bomb": expand_bomb(),
            "runtime_expand": runtime_expand(), "huge_broadcast": huge_broadcast(),
            "endless_loop": endless_loop(), "constant_outputs": constant_outputs(), "long_lstm": long_lstm(),
            **{f"expanding_{k}": v for k, v in expanding_bombs(1 << 14).items()},
            **{f"decoding_{k}": v for k, v in decoding_bombs().items()}}


if __name__ == "__main__":
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for name, data in models().items():
        (out / f"{name}.onnx").write_bytes(data)
