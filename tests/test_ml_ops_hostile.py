"""Malformed classical-ML models (ai.onnx.ml) get a clear error, at load
where the model alone is wrong, never a hang, a blow-up or a wrong answer;
and the edge cases onnxruntime answers get its answers."""
import time

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

import wasm_infer

F, I64 = TensorProto.FLOAT, TensorProto.INT64
REG, CLF = [("y", F)], [("label", I64), ("scores", F)]
STUMP = dict(nodes_treeids=[0, 0, 0], nodes_nodeids=[0, 1, 2], nodes_featureids=[0, 0, 0],
             nodes_modes=["BRANCH_LEQ", "LEAF", "LEAF"], nodes_values=[2.0, 0, 0], nodes_truenodeids=[1, 0, 0],
             nodes_falsenodeids=[2, 0, 0])


def _model(op, outputs, features=2, **attrs):
    node = helper.make_node(op, ["x"], [name for name, _ in outputs], domain="ai.onnx.ml", **attrs)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", F, [None, features])],
                              [helper.make_tensor_value_info(name, t, None) for name, t in outputs])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3)],
                              ir_version=8)
    return model.SerializeToString()


def _refused(data, match):
    with pytest.raises(wasm_infer.UnsupportedError, match=match):
        wasm_infer.InferenceSession(data)


def test_a_tree_whose_branches_share_a_node_is_refused_at_once():
    d = 40      # each node branches twice to the next: 2^40 paths, if walked as a tree
    data = _model("TreeEnsembleRegressor", REG, 1, n_targets=1, nodes_treeids=[0] * (d + 1),
                  nodes_nodeids=list(range(d + 1)), nodes_featureids=[0] * (d + 1),
                  nodes_modes=["BRANCH_LEQ"] * d + ["LEAF"], nodes_values=[0.0] * (d + 1),
                  nodes_truenodeids=list(range(1, d + 1)) + [0], nodes_falsenodeids=list(range(1, d + 1)) + [0],
                  target_treeids=[0], target_nodeids=[d], target_ids=[0], target_weights=[1.0])
    t0 = time.perf_counter()
    _refused(data, "node 1 has two parents: not a tree")
    assert time.perf_counter() - t0 < 5


def test_a_deep_chain_tree_loads_and_runs_in_linear_time():
    d = 20_000
    data = _model("TreeEnsembleRegressor", REG, 1, n_targets=1, nodes_treeids=[0] * (2 * d + 1),
                  nodes_nodeids=list(range(2 * d + 1)), nodes_featureids=[0] * (2 * d + 1),
                  nodes_modes=["BRANCH_LEQ"] * d + ["LEAF"] * (d + 1), nodes_values=[0.0] * (2 * d + 1),
                  nodes_truenodeids=[d + i for i in range(d)] + [0] * (d + 1),
                  nodes_falsenodeids=list(range(1, d)) + [2 * d] + [0] * (d + 1),
                  target_treeids=[0] * (d + 1), target_nodeids=list(range(d, 2 * d + 1)), target_ids=[0] * (d + 1),
                  target_weights=[float(i) for i in range(d + 1)])
    (y,) = wasm_infer.InferenceSession(data).run(None, {"x": np.array([[1.0], [-1.0]], np.float32)})
    assert y.ravel().tolist() == [float(d), 0.0]        # 1.0 takes every false branch to the last leaf


@pytest.mark.parametrize("attrs, match", [
    (dict(class_treeids=[0] * 4, class_nodeids=[1, 1, 2, 2], class_ids=[0, 1, 0, -1], class_weights=[.9, .1, .2, .8]),
     "class id -1 is not one of the 3 classes"),
    (dict(class_treeids=[0] * 2, class_nodeids=[1, 2], class_ids=[0, 3], class_weights=[.9, .1]),
     "class id 3 is not one of the 3 classes"),
    (dict(class_treeids=[0], class_nodeids=[1, 2], class_ids=[0, 0], class_weights=[10.0, 20.0]),
     "class_treeids has 1 entries, class_nodeids 2"),
])
def test_tree_classifier_weights_that_name_no_class_or_do_not_line_up_are_refused(attrs, match):
    _refused(_model("TreeEnsembleClassifier", CLF, classlabels_int64s=[0, 1, 2], **STUMP, **attrs), match)


def test_forests_that_are_not_forests_are_refused():
    two_roots = dict(nodes_treeids=[0, 0, 1], nodes_nodeids=[0, 1, 0], nodes_featureids=[0, 0, 0],
                     nodes_modes=["LEAF", "LEAF", "BRANCH_LEQ"], nodes_values=[0, 0, 1.0], nodes_truenodeids=[0, 0, 0],
                     nodes_falsenodeids=[0, 0, 0])
    weights = dict(target_treeids=[0, 0], target_nodeids=[0, 1], target_ids=[0, 0], target_weights=[1.0, 100.0])
    _refused(_model("TreeEnsembleRegressor", REG, n_targets=1, **two_roots, **weights), "not a tree|root")
    short = dict(STUMP, nodes_values=[2.0, 0.0])
    _refused(_model("TreeEnsembleRegressor", REG, n_targets=1, **short, target_treeids=[0], target_nodeids=[1],
                    target_ids=[0], target_weights=[1.0]), "nodes_values has 2 entries, nodes_treeids 3")


def test_attribute_counts_that_do_not_fit_are_refused_not_broadcast():
    weights = dict(target_treeids=[0, 0], target_nodeids=[1, 2], target_ids=[0, 0], target_weights=[10.0, 20.0])
    _refused(_model("TreeEnsembleRegressor", REG, n_targets=1, base_values=[1.0, 2.0, 3.0], **STUMP, **weights),
             "3 base_values for 1 targets")
    _refused(_model("LinearRegressor", REG, coefficients=[1.0, 1.0], intercepts=[0.5, 1.0, 2.0]),
             "3 intercepts for 1 targets")
    scaler = wasm_infer.InferenceSession(_model("Scaler", REG, 1, offset=[1.0, 2.0, 3.0], scale=[1.0]))
    with pytest.raises(wasm_infer.ModelError, match="Scaler has 3 offset values for 1 features"):
        scaler.run(None, {"x": np.ones((3, 1), np.float32)})
    linear = wasm_infer.InferenceSession(_model("LinearRegressor", REG, 3, coefficients=[1.0, 1.0]))
    with pytest.raises(wasm_infer.ModelError, match="LinearRegressor has 2 coefficients: not 1 rows of the input's 3"):
        linear.run(None, {"x": np.ones((2, 3), np.float32)})
    _refused(_model("SVMClassifier", CLF, kernel_type="LINEAR", kernel_params=[0.0, 0.0, 0.0],
                    classlabels_ints=[0, 1, 2], vectors_per_class=[2, -1, 2], support_vectors=[1, 0, 0, 1, 1, 1.0],
                    coefficients=[1, 2, 3, 4, 5, 6.0], rho=[.1, .2, .3]), "negative count")


def _same_as_onnxruntime(data, x):
    want = ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, {"x": x})
    got = wasm_infer.InferenceSession(data).run(None, {"x": x})
    for g, w in zip(got, want):
        assert g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-6)


def test_edge_cases_get_onnxruntimes_answers():
    # a row of zeros stays zeros under every norm
    for norm in ("MAX", "L1", "L2"):
        _same_as_onnxruntime(_model("Normalizer", REG, 3, norm=norm), np.array([[0, 0, 0], [3, 4, 0]], np.float32))
    # no rows in, no rows out
    _same_as_onnxruntime(_model("LinearRegressor", REG, coefficients=[1.0, 1.0]), np.zeros((0, 2), np.float32))
    _same_as_onnxruntime(_model("TreeEnsembleRegressor", REG, n_targets=1, **STUMP, target_treeids=[0, 0],
                                target_nodeids=[1, 2], target_ids=[0, 0], target_weights=[1.0, 2.0]),
                         np.zeros((0, 2), np.float32))
    # a float fed to OneHotEncoder is cast to int64 (truncated)
    _same_as_onnxruntime(_model("OneHotEncoder", REG, 1, cats_int64s=[1, 2, 3]), np.array([[2.5], [3.0]], np.float32))
    # NaN decision values vote for the second class of each pair
    svc = _model("SVMClassifier", CLF, kernel_type="RBF", kernel_params=[.5, 0.0, 3.0], classlabels_ints=[0, 1, 2],
                 vectors_per_class=[1, 1, 1], support_vectors=[0, 0, 1, 1, -1, -1.0],
                 coefficients=[1, 1, -1, 1, -1, -1.0], rho=[.1, .2, .3])
    x = np.array([[np.nan, 0.0], [0.5, 0.2]], np.float32)
    want = ort.InferenceSession(svc, providers=["CPUExecutionProvider"]).run(None, {"x": x})
    got = wasm_infer.InferenceSession(svc).run(None, {"x": x})
    assert got[0].tolist() == want[0].tolist()


def test_an_imputer_refuses_values_of_another_kind_than_its_input():
    node = helper.make_node("Imputer", ["x"], ["y"], domain="ai.onnx.ml", imputed_value_floats=[2.7],
                            replaced_value_float=0.0)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", I64, [None, 2])],
                              [helper.make_tensor_value_info("y", I64, None)])
    data = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3)],
                             ir_version=8).SerializeToString()
    with pytest.raises(wasm_infer.ModelError, match="float values go with a float input"):
        wasm_infer.InferenceSession(data).run(None, {"x": np.array([[0, 5]], np.int64)})


def test_feature_vectorizer_width_is_checked_against_the_budget_before_allocating():
    # inputdimensions is the model's word: 2^40 columns of zeros must be refused, not allocated
    node = helper.make_node("FeatureVectorizer", ["x"], ["y"], domain="ai.onnx.ml", inputdimensions=[1 << 40])
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, None)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    data = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3)],
                             ir_version=8).SerializeToString()
    with pytest.raises(wasm_infer.ResourceError, match="FeatureVectorizer"):
        wasm_infer.InferenceSession(data).run(None, {"x": np.ones((2, 3), np.float32)})
