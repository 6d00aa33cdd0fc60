"""The classical-ML ops (ai.onnx.ml: those scikit-learn models export to, and
the rest of the domain), against onnxruntime on the same models and inputs,
each run twice (the recording run, then the planned one)."""
import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

import wasm_infer

F, I64, S = TensorProto.FLOAT, TensorProto.INT64, TensorProto.STRING
ML = helper.make_opsetid("ai.onnx.ml", 3)


def _model(nodes, inputs, outputs):
    graph = helper.make_graph(nodes, "ml", inputs, outputs)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), ML], ir_version=8).SerializeToString()


def _same_as_onnxruntime(data, feeds):
    want = ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, feeds)
    sess = wasm_infer.InferenceSession(data)
    for _ in range(2):
        got = sess.run(None, feeds)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            if isinstance(w, list):     # ZipMap: a list of dicts
                assert len(g) == len(w) and all(a.keys() == b.keys() for a, b in zip(g, w))
                for a, b in zip(g, w):
                    np.testing.assert_allclose([a[k] for k in b], [b[k] for k in b], rtol=1e-6, atol=1e-6)
            elif w.dtype == object:
                assert g.tolist() == w.tolist()
            else:
                assert g.dtype == w.dtype and g.shape == w.shape, (g.dtype, g.shape, w.dtype, w.shape)
                np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    return got


def _x(n=7, c=4, seed=0):
    return np.random.default_rng(seed).standard_normal((n, c)).astype(np.float32)


def test_scaler_and_normalizer():
    x = _x()
    for offset, scale in (([0.5], [2.0]), ([0.1, -0.2, 0.3, 0.0], [1.0, 2.0, 0.5, 4.0])):
        data = _model([helper.make_node("Scaler", ["x"], ["y"], domain="ai.onnx.ml", offset=offset, scale=scale)],
                      [helper.make_tensor_value_info("x", F, [None, 4])], [helper.make_tensor_value_info("y", F, None)])
        _same_as_onnxruntime(data, {"x": x})
    for norm in ("MAX", "L1", "L2"):
        data = _model([helper.make_node("Normalizer", ["x"], ["y"], domain="ai.onnx.ml", norm=norm)],
                      [helper.make_tensor_value_info("x", F, [None, 4])], [helper.make_tensor_value_info("y", F, None)])
        _same_as_onnxruntime(data, {"x": np.abs(x) + 0.1})


def test_imputer_replaces_missing_values_per_feature():
    x = _x()
    x[1, 2] = x[4, 0] = x[6, 3] = np.nan
    for values in ([9.0], [1.0, 2.0, 3.0, 4.0]):
        data = _model([helper.make_node("Imputer", ["x"], ["y"], domain="ai.onnx.ml", imputed_value_floats=values,
                                        replaced_value_float=float("nan"))],
                      [helper.make_tensor_value_info("x", F, [None, 4])], [helper.make_tensor_value_info("y", F, None)])
        (y,) = _same_as_onnxruntime(data, {"x": x})
        assert not np.isnan(y).any()


@pytest.mark.parametrize("post", ["NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO", "PROBIT"])
def test_linear_regressor(post):
    rng = np.random.default_rng(1)
    for targets in (1, 3):
        data = _model([helper.make_node("LinearRegressor", ["x"], ["y"], domain="ai.onnx.ml", targets=targets,
                                        coefficients=rng.standard_normal(4 * targets).tolist(),
                                        intercepts=rng.standard_normal(targets).tolist(), post_transform=post)],
                      [helper.make_tensor_value_info("x", F, [None, 4])], [helper.make_tensor_value_info("y", F, None)])
        _same_as_onnxruntime(data, {"x": _x()})


@pytest.mark.parametrize("post", ["NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO"])
@pytest.mark.parametrize("classes, labels", [(3, "ints"), (3, "strings"), (1, "ints"), (2, "ints"), (1, "strings")],
                         ids=["3-ints", "3-strings", "binary-1-column", "binary-2-columns", "binary-1-column-strings"])
def test_linear_classifier_then_zipmap_as_scikit_learn_exports_it(post, classes, labels):
    rng = np.random.default_rng(2)
    n_labels = max(classes, 2)
    names = ["cat", "dog", "emu"][:n_labels]
    attrs = {"classlabels_ints": list(range(10, 10 + n_labels))} if labels == "ints" else \
        {"classlabels_strings": names}
    zip_attrs = {"classlabels_int64s": attrs["classlabels_ints"]} if labels == "ints" else \
        {"classlabels_strings": names}
    label_type = I64 if labels == "ints" else S
    data = _model([helper.make_node("LinearClassifier", ["x"], ["label", "scores"], domain="ai.onnx.ml",
                                    coefficients=rng.standard_normal(4 * classes).tolist(),
                                    intercepts=rng.standard_normal(classes).tolist(), post_transform=post, **attrs),
                   helper.make_node("ZipMap", ["scores"], ["probabilities"], domain="ai.onnx.ml", **zip_attrs)],
                  [helper.make_tensor_value_info("x", F, [None, 4])],
                  [helper.make_tensor_value_info("label", label_type, [None]),
                   helper.make_value_info("probabilities", helper.make_sequence_type_proto(
                       helper.make_map_type_proto(label_type, helper.make_tensor_type_proto(F, []))))])
    label, probabilities = _same_as_onnxruntime(data, {"x": _x(9)})
    assert len(probabilities) == 9 and set(probabilities[0]) == set(names if labels == "strings" else
                                                                  attrs["classlabels_ints"])
    import wasm_infer.onnxruntime as wort      # the drop-in returns the list of dicts as onnxruntime does
    dicts = wort.InferenceSession(data).run(["probabilities"], {"x": _x(9)})[0]
    assert isinstance(dicts, list) and dicts[0].keys() == probabilities[0].keys()
    sess = wasm_infer.InferenceSession(data)
    assert [o.type for o in sess.get_outputs()][1] == \
        f"seq(map({'int64' if labels == 'ints' else 'string'},tensor(float)))"


@pytest.mark.parametrize("post", ["NONE", "LOGISTIC", "SOFTMAX"])
def test_a_binary_linear_classifier_with_one_score_column_decides_at_zero_as_onnxruntime(post):
    data = _model([helper.make_node("LinearClassifier", ["x"], ["label", "scores"], domain="ai.onnx.ml",
                                    coefficients=[1.0], intercepts=[0.0], classlabels_ints=[3, 7],
                                    post_transform=post)],
                  [helper.make_tensor_value_info("x", F, [None, 1])],
                  [helper.make_tensor_value_info("label", I64, None), helper.make_tensor_value_info("scores", F, None)])
    label, _ = _same_as_onnxruntime(data, {"x": np.linspace(-2, 2, 9, dtype=np.float32).reshape(-1, 1)})
    assert label.tolist() == [3, 3, 3, 3, 3, 7, 7, 7, 7]     # s = 0 is the first class; 0 < s <= 0.5 the second


def test_what_the_ml_ops_refuse_they_refuse_clearly():
    def session(node):
        return wasm_infer.InferenceSession(_model([node], [helper.make_tensor_value_info("x", F, [None, 2])],
                                                  [helper.make_tensor_value_info("y", F, None)]))
    with pytest.raises(wasm_infer.UnsupportedError, match="PROBIT is not supported for a classifier"):
        session(helper.make_node("LinearClassifier", ["x"], ["l", "y"], domain="ai.onnx.ml", coefficients=[1.0, 1.0],
                                 classlabels_ints=[0, 1], post_transform="PROBIT"))
    with pytest.raises(wasm_infer.UnsupportedError, match="post_transform 'SIGMOID'"):
        session(helper.make_node("LinearRegressor", ["x"], ["y"], domain="ai.onnx.ml", coefficients=[1.0, 1.0],
                                 post_transform="SIGMOID"))
    with pytest.raises(wasm_infer.UnsupportedError, match="norm 'L3'"):
        session(helper.make_node("Normalizer", ["x"], ["y"], domain="ai.onnx.ml", norm="L3"))
    zipmap = session(helper.make_node("ZipMap", ["x"], ["y"], domain="ai.onnx.ml", classlabels_int64s=[1, 2, 3]))
    with pytest.raises(wasm_infer.ModelError, match="ZipMap has 3 class labels, its input 2 columns"):
        zipmap.run(None, {"x": np.ones((1, 2), np.float32)})


def _random_forest(rng, n_trees, depth, n_features, n_outputs, prefix, missing=False, every_output=False,
                   probabilities=False):
    """Attributes of a random forest of complete binary trees, in the classic layout. A leaf has
    weights for some outputs, or for every one (`every_output`, as classifiers export their leaves);
    `probabilities`: a leaf's weights are class probabilities over the trees, as a random forest's."""
    attrs = {k: [] for k in ("nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_modes", "nodes_values",
                             "nodes_truenodeids", "nodes_falsenodeids", "nodes_missing_value_tracks_true",
                             f"{prefix}_treeids", f"{prefix}_nodeids", f"{prefix}_ids", f"{prefix}_weights")}
    modes = ["BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE", "BRANCH_GT"]
    for t in range(n_trees):
        inner, n_nodes = 2 ** depth - 1, 2 ** (depth + 1) - 1
        for i in range(n_nodes):
            leaf = i >= inner
            attrs["nodes_treeids"].append(t)
            attrs["nodes_nodeids"].append(i)
            attrs["nodes_featureids"].append(0 if leaf else int(rng.integers(n_features)))
            attrs["nodes_modes"].append("LEAF" if leaf else modes[int(rng.integers(len(modes)))])
            attrs["nodes_values"].append(0.0 if leaf else float(rng.standard_normal()))
            attrs["nodes_truenodeids"].append(0 if leaf else 2 * i + 1)
            attrs["nodes_falsenodeids"].append(0 if leaf else 2 * i + 2)
            attrs["nodes_missing_value_tracks_true"].append(int(missing and rng.integers(2)))
            if leaf:
                some = rng.choice(n_outputs, size=int(rng.integers(1, n_outputs + 1)), replace=False).tolist()
                p = rng.dirichlet(np.ones(n_outputs)) / n_trees
                for target in range(n_outputs) if every_output else some:
                    attrs[f"{prefix}_treeids"].append(t)
                    attrs[f"{prefix}_nodeids"].append(i)
                    attrs[f"{prefix}_ids"].append(target)
                    attrs[f"{prefix}_weights"].append(float(p[target] if probabilities else rng.standard_normal()))
    return attrs


@pytest.mark.parametrize("aggregate", ["SUM", "AVERAGE", "MIN", "MAX"])
@pytest.mark.parametrize("post", ["NONE", "LOGISTIC", "SOFTMAX"])
def test_tree_ensemble_regressor(aggregate, post):
    rng = np.random.default_rng(3)
    for n_targets in (1, 3):
        attrs = _random_forest(rng, n_trees=5, depth=3, n_features=4, n_outputs=n_targets, prefix="target",
                               missing=True)
        data = _model([helper.make_node("TreeEnsembleRegressor", ["x"], ["y"], domain="ai.onnx.ml",
                                        n_targets=n_targets, aggregate_function=aggregate, post_transform=post,
                                        base_values=rng.standard_normal(n_targets).tolist(), **attrs)],
                      [helper.make_tensor_value_info("x", F, [None, 4])], [helper.make_tensor_value_info("y", F, None)])
        x = _x(50, seed=4)
        x[::7, 1] = np.nan
        _same_as_onnxruntime(data, {"x": x})


@pytest.mark.parametrize("post", ["NONE", "LOGISTIC", "SOFTMAX"])
@pytest.mark.parametrize("kind", ["3-classes", "binary-2-columns", "binary-1-column", "strings"])
def test_tree_ensemble_classifier(post, kind):
    rng = np.random.default_rng(5)
    n_classes = 3 if kind in ("3-classes", "strings") else 2
    outputs = 1 if kind == "binary-1-column" else n_classes
    attrs = _random_forest(rng, n_trees=4, depth=3, n_features=4, n_outputs=outputs,
                           prefix="class", missing=True, every_output=True, probabilities=kind == "binary-2-columns")
    labels = {"classlabels_strings": ["a", "b", "c"]} if kind == "strings" else \
        {"classlabels_int64s": list(range(5, 5 + n_classes))}
    label_type = S if kind == "strings" else I64
    # base_values: as gradient boosting exports them (random forests, binary-2-columns here, have none)
    bases = [None] + ([] if kind == "binary-2-columns" else
                      [rng.standard_normal(1 if kind == "binary-1-column" else n_classes).tolist()])
    for base in bases:
        extra = {} if base is None else {"base_values": base}
        data = _model([helper.make_node("TreeEnsembleClassifier", ["x"], ["label", "scores"], domain="ai.onnx.ml",
                                        post_transform=post, **labels, **attrs, **extra)],
                      [helper.make_tensor_value_info("x", F, [None, 4])],
                      [helper.make_tensor_value_info("label", label_type, None),
                       helper.make_tensor_value_info("scores", F, None)])
        x = _x(60, seed=6)
        x[::9, 2] = np.nan
        if kind != "binary-2-columns":
            _same_as_onnxruntime(data, {"x": x})
            continue
        # Two labels with weights in both columns: onnxruntime's scores, but its labels are the indices 0 / 1
        # (not classlabels) decided by the second column's sign alone; ours are the best score's class label.
        (_, want), sess = ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, {"x": x}), \
            wasm_infer.InferenceSession(data)
        for _ in range(2):
            label, scores = sess.run(None, {"x": x})
            np.testing.assert_allclose(scores, want, rtol=1e-5, atol=1e-6)
            assert label.tolist() == [labels["classlabels_int64s"][i] for i in np.argmax(scores, axis=1)]


def test_svm_regressor_without_support_vectors_and_one_class():
    rng = np.random.default_rng(7)
    for one_class in (0, 1):
        linear = _model([helper.make_node("SVMRegressor", ["x"], ["y"], domain="ai.onnx.ml", kernel_type="LINEAR",
                                          kernel_params=[0.0, 0.0, 0.0], coefficients=rng.standard_normal(4).tolist(),
                                          rho=[0.3], n_supports=0, one_class=one_class)],
                        [helper.make_tensor_value_info("x", F, [None, 4])], [helper.make_tensor_value_info("y", F, None)])
        _same_as_onnxruntime(linear, {"x": _x()})
        rbf = _model([helper.make_node("SVMRegressor", ["x"], ["y"], domain="ai.onnx.ml", kernel_type="RBF",
                                       kernel_params=[0.4, 0.0, 3.0], coefficients=rng.standard_normal(3).tolist(),
                                       support_vectors=rng.standard_normal(12).tolist(), rho=[-0.2], n_supports=3,
                                       one_class=one_class)],
                     [helper.make_tensor_value_info("x", F, [None, 4])], [helper.make_tensor_value_info("y", F, None)])
        _same_as_onnxruntime(rbf, {"x": _x()})


def test_one_hot_encoder_refuses_an_unknown_value_when_zeros_is_0():
    data = _model([helper.make_node("OneHotEncoder", ["x"], ["y"], domain="ai.onnx.ml", cats_int64s=[1, 2, 3],
                                    zeros=0)],
                  [helper.make_tensor_value_info("x", I64, [None])], [helper.make_tensor_value_info("y", F, None)])
    _same_as_onnxruntime(data, {"x": np.array([3, 1, 2], np.int64)})
    with pytest.raises(wasm_infer.ModelError, match="value 9 is in no category"):
        wasm_infer.InferenceSession(data).run(None, {"x": np.array([3, 9], np.int64)})
    with pytest.raises(Exception):
        ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, {"x": np.array([3, 9], np.int64)})


@pytest.mark.parametrize("post", ["NONE", "LOGISTIC", "SOFTMAX"])
def test_svm_classifier_without_support_vectors(post):
    rng = np.random.default_rng(8)
    for labels, label_type in (({"classlabels_ints": [4, 5, 6]}, I64), ({"classlabels_strings": ["x", "y", "z"]}, S)):
        data = _model([helper.make_node("SVMClassifier", ["x"], ["label", "scores"], domain="ai.onnx.ml",
                                        kernel_type="LINEAR", kernel_params=[0.0, 0.0, 0.0], post_transform=post,
                                        coefficients=rng.standard_normal(12).tolist(), rho=[0.25], **labels)],
                      [helper.make_tensor_value_info("x", F, [None, 4])],
                      [helper.make_tensor_value_info("label", label_type, None),
                       helper.make_tensor_value_info("scores", F, None)])
        _same_as_onnxruntime(data, {"x": _x(20)})


def test_trees_that_read_a_feature_the_input_lacks_are_refused():
    attrs = _random_forest(np.random.default_rng(9), n_trees=2, depth=2, n_features=6, n_outputs=1, prefix="target")
    data = _model([helper.make_node("TreeEnsembleRegressor", ["x"], ["y"], domain="ai.onnx.ml", n_targets=1, **attrs)],
                  [helper.make_tensor_value_info("x", F, [None, None])], [helper.make_tensor_value_info("y", F, None)])
    sess = wasm_infer.InferenceSession(data)
    with pytest.raises(wasm_infer.ModelError, match=r"the trees read feature \d; the input has 2 features"):
        sess.run(None, {"x": np.ones((3, 2), np.float32)})
    bad = dict(attrs, nodes_featureids=[-1] * len(attrs["nodes_featureids"]))
    with pytest.raises(wasm_infer.UnsupportedError, match="feature -1"):
        wasm_infer.InferenceSession(_model(
            [helper.make_node("TreeEnsembleRegressor", ["x"], ["y"], domain="ai.onnx.ml", n_targets=1, **bad)],
            [helper.make_tensor_value_info("x", F, [None, 6])], [helper.make_tensor_value_info("y", F, None)]))


def test_one_hot_encoder_output_is_checked_against_the_budget_before_allocating(monkeypatch):
    monkeypatch.setenv("WASM_INFER_MAX_MEMORY", "16M")
    data = _model([helper.make_node("OneHotEncoder", ["x"], ["y"], domain="ai.onnx.ml",
                                    cats_int64s=list(range(5000)))],
                  [helper.make_tensor_value_info("x", I64, [None])], [helper.make_tensor_value_info("y", F, None)])
    with pytest.raises(wasm_infer.ResourceError, match="OneHotEncoder"):
        wasm_infer.InferenceSession(data).run(None, {"x": np.zeros(1000, np.int64)})    # 1000 x 5000 float32: 19 MiB


def test_category_mapper_maps_both_ways_with_defaults_and_last_pair_winning():
    cats = {"cats_strings": ["a", "b", "c", "a"], "cats_int64s": [5, 6, 7, 8]}     # "a" twice: 8 wins

    def model(node, x, y):
        vi = helper.make_tensor_value_info
        return _model([node], [vi("x", x, None)], [vi("y", y, None)])
    for extra in ({}, {"default_int64": 42, "default_string": "?"}):
        mapper = helper.make_node("CategoryMapper", ["x"], ["y"], domain="ai.onnx.ml", **cats, **extra)
        _same_as_onnxruntime(model(mapper, S, I64), {"x": np.array([["a", "z"], ["c", "b"]], object)})
        _same_as_onnxruntime(model(mapper, S, I64), {"x": np.zeros((0, 3), object)})
        _same_as_onnxruntime(model(mapper, I64, S), {"x": np.array([[5, 9, 7], [8, 6, -1]], np.int64)})
    odd = helper.make_node("CategoryMapper", ["x"], ["y"], domain="ai.onnx.ml", cats_strings=["a", "b"],
                           cats_int64s=[5])
    with pytest.raises(wasm_infer.ModelError, match="cats_strings has 2 values and cats_int64s 1"):
        wasm_infer.InferenceSession(model(odd, S, I64))


def test_feature_vectorizer_takes_each_inputs_first_features_zero_padded():
    def model(dims, elem=F):
        node = helper.make_node("FeatureVectorizer", [f"x{i}" for i in range(len(dims))], ["y"], domain="ai.onnx.ml",
                                inputdimensions=dims)
        return _model([node], [helper.make_tensor_value_info(f"x{i}", elem, None) for i in range(len(dims))],
                      [helper.make_tensor_value_info("y", F, None)])
    a, b, c = _x(2, 3), _x(2, 1, seed=1), _x(2, 4, seed=2)
    _same_as_onnxruntime(model([3, 1]), {"x0": a, "x1": b})
    _same_as_onnxruntime(model([2, 2]), {"x0": a, "x1": b})                 # cut to 2, padded to 2
    _same_as_onnxruntime(model([3, 5, 1]), {"x0": a, "x1": c, "x2": b})
    _same_as_onnxruntime(model([2]), {"x0": _x(6, 1).reshape(2, 3, 1)})       # features after the first axis
    _same_as_onnxruntime(model([3]), {"x0": np.arange(3, dtype=np.float32)})  # 1-D: one row
    for elem, dtype in ((I64, np.int64), (TensorProto.INT32, np.int32), (TensorProto.DOUBLE, np.float64)):
        feeds = {"x0": np.array([[1, 2**20 + 1]], dtype), "x1": np.array([[-7]], dtype)}
        _same_as_onnxruntime(model([2, 1], elem), feeds)
    with pytest.raises(wasm_infer.InputError, match="input 0 has 2 rows and input 1 has 3"):
        wasm_infer.InferenceSession(model([3, 1])).run(None, {"x0": a, "x1": _x(3, 1)})
    # no rows at all: onnxruntime 1.32 aborts the process here; an empty batch is [0, sum(dims)]
    (y,) = wasm_infer.InferenceSession(model([3, 1])).run(None, {"x0": a[:0], "x1": b[:0]})
    assert y.shape == (0, 4) and y.dtype == np.float32
    with pytest.raises(wasm_infer.ModelError, match="2 inputs but 1 inputdimensions"):
        node = helper.make_node("FeatureVectorizer", ["x0", "x1"], ["y"], domain="ai.onnx.ml", inputdimensions=[3])
        wasm_infer.InferenceSession(_model([node], [helper.make_tensor_value_info(f"x{i}", F, None) for i in range(2)],
                                           [helper.make_tensor_value_info("y", F, None)]))


def _map_model(node, key, value, out):
    """A model whose input x is a map(key, tensor(value)), fed as a dict."""
    x = helper.make_value_info("x", helper.make_map_type_proto(key, helper.make_tensor_type_proto(value, [1])))
    graph = helper.make_graph([node], "ml", [x], [helper.make_tensor_value_info("y", out, None)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), ML], ir_version=8).SerializeToString()


def test_dict_vectorizer_lays_a_map_out_in_vocabulary_order():
    words = helper.make_node("DictVectorizer", ["x"], ["y"], domain="ai.onnx.ml",
                             string_vocabulary=["a", "b", "c", "a"])
    data = _map_model(words, S, F, F)
    _same_as_onnxruntime(data, {"x": {"a": 1.5, "c": 2.0, "unknown": 9.0}})     # "a" twice: both places
    _same_as_onnxruntime(data, {"x": {"b": -3.0}})
    numbers = helper.make_node("DictVectorizer", ["x"], ["y"], domain="ai.onnx.ml", int64_vocabulary=[5, 7, 1])
    _same_as_onnxruntime(_map_model(numbers, I64, F, F), {"x": {7: 1.0, 9: 2.0, 1: -0.5}})
    # as a map input declares: a double map gives a double row (onnxruntime's Python API cannot feed one)
    (y,) = wasm_infer.InferenceSession(_map_model(words, S, TensorProto.DOUBLE, TensorProto.DOUBLE)).run(
        None, {"x": {"b": 0.1}})
    assert y.dtype == np.float64 and y.tolist() == [[0.0, 0.1, 0.0, 0.0]]
    # an empty map is a row of zeros (onnxruntime's Python API refuses to feed one)
    sess = wasm_infer.InferenceSession(data)
    (y,) = sess.run(None, {"x": {}})
    assert y.dtype == np.float32 and y.tolist() == [[0.0] * 4]
    assert sess.warmup()["inputs"] == {"x": "map"}       # warm-up feeds a map input an empty dict


@pytest.mark.parametrize("feed, message", [
    ([("a", 1.0)], "is a map.string,tensor.float..: feed a dict, got list"),
    (np.ones(1, np.float32), "feed a dict, got ndarray"),
    ({1: 2.0}, "key 1 is a int, not a string"),
    ({"a": "text"}, "its values do not convert to float32"),
])
def test_a_map_input_takes_a_dict_of_the_declared_key_and_value_types(feed, message):
    node = helper.make_node("DictVectorizer", ["x"], ["y"], domain="ai.onnx.ml", string_vocabulary=["a"])
    with pytest.raises(wasm_infer.InputError, match=message):
        wasm_infer.InferenceSession(_map_model(node, S, F, F)).run(None, {"x": feed})


def test_dict_vectorizer_needs_exactly_one_vocabulary():
    for vocab in ({}, {"string_vocabulary": ["a"], "int64_vocabulary": [1]}):
        node = helper.make_node("DictVectorizer", ["x"], ["y"], domain="ai.onnx.ml", **vocab)
        with pytest.raises(wasm_infer.ModelError, match="one of string_vocabulary and int64_vocabulary"):
            wasm_infer.InferenceSession(_map_model(node, S, F, F))


def test_cast_map_dense_and_sparse_to_each_type():
    x = {3: 1.5, 0: 2.0, 7: -1.0, 1: 2.7, 2: -2.7}
    for cast_to, out in (("TO_FLOAT", F), ("TO_INT64", I64), ("TO_STRING", S)):
        for form in ({}, {"map_form": "SPARSE", "max_map": 10}, {"map_form": "SPARSE", "max_map": 5},
                     {"map_form": "SPARSE"}):
            node = helper.make_node("CastMap", ["x"], ["y"], domain="ai.onnx.ml", cast_to=cast_to, **form)
            _same_as_onnxruntime(_map_model(node, I64, F, out), {"x": x})
    dense = helper.make_node("CastMap", ["x"], ["y"], domain="ai.onnx.ml")
    _same_as_onnxruntime(_map_model(dense, I64, F, F), {"x": {-1: 1.0, 4: 0.5}})     # DENSE: any key
    sparse = helper.make_node("CastMap", ["x"], ["y"], domain="ai.onnx.ml", map_form="SPARSE", max_map=3)
    with pytest.raises(wasm_infer.InputError, match="key -1 is negative"):
        wasm_infer.InferenceSession(_map_model(sparse, I64, F, F)).run(None, {"x": {-1: 1.0}})
    huge = helper.make_node("CastMap", ["x"], ["y"], domain="ai.onnx.ml", map_form="SPARSE", max_map=1 << 40)
    with pytest.raises(wasm_infer.ResourceError, match="CastMap"):    # max_map is the model's word: checked first
        wasm_infer.InferenceSession(_map_model(huge, I64, F, F)).run(None, {"x": {1: 1.0}})
