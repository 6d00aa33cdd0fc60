"""Real scikit-learn models, trained here on small synthetic data and exported
by skl2onnx as a data scientist exports them, run by wasm_infer and by
onnxruntime on the same rows: the same labels, and probabilities and
predictions equal up to float rounding."""
import numpy as np
import onnxruntime as ort
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import (GradientBoostingClassifier, GradientBoostingRegressor, RandomForestClassifier,
                              RandomForestRegressor)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, Normalizer, StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from skl2onnx import to_onnx

import wasm_infer

OPSETS = {"": 17, "ai.onnx.ml": 3}


def _classification(n_classes, strings=False):
    x, y = make_classification(n_samples=200, n_features=6, n_informative=4, n_classes=n_classes, random_state=0)
    x = x.astype(np.float32)
    return x, (np.array(["ant", "bee", "cat"])[y] if strings else y)


def _same_as_onnxruntime(model, x):
    data = to_onnx(model, x[:1], target_opset=OPSETS).SerializeToString()
    want = ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, {"X": x})
    sess = wasm_infer.InferenceSession(data)
    for _ in range(2):      # the recording run, then the planned one
        got = sess.run(None, {"X": x})
        assert len(got) == len(want)
        for g, w in zip(got, want):
            if isinstance(w, list):             # ZipMap: one {label: probability} dict per row
                assert [d.keys() for d in g] == [d.keys() for d in w]
                np.testing.assert_allclose([list(d.values()) for d in g], [list(d.values()) for d in w], atol=1e-5)
            elif w.dtype.kind in "OUi":         # labels
                assert g.tolist() == w.tolist()
            else:
                np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-4)
    return got


CLASSIFIERS = {
    "logistic regression, scaled": lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)),
    "logistic regression, imputed and min-max scaled": lambda: make_pipeline(SimpleImputer(), MinMaxScaler(),
                                                                             LogisticRegression(C=0.5)),
    "linear SVM": lambda: LinearSVC(max_iter=5000),
    "decision tree": lambda: DecisionTreeClassifier(max_depth=5, random_state=0),
    "random forest": lambda: RandomForestClassifier(n_estimators=8, max_depth=5, random_state=0),
    "gradient boosting": lambda: GradientBoostingClassifier(n_estimators=8, max_depth=3, random_state=0),
}


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("name", list(CLASSIFIERS))
def test_classifiers(name, n_classes):
    x, y = _classification(n_classes)
    model = CLASSIFIERS[name]().fit(x, y)
    rows = x[::3].copy()
    if "imputed" in name:
        rows[::4, 1] = np.nan        # missing values, filled in by the imputer
    label, probabilities = _same_as_onnxruntime(model, rows)
    if "imputed" not in name:
        assert (label == model.predict(rows)).mean() > 0.95     # and it is the model scikit-learn trained


def test_a_classifier_with_string_labels():
    x, y = _classification(3, strings=True)
    label, probabilities = _same_as_onnxruntime(RandomForestClassifier(n_estimators=5, random_state=0).fit(x, y), x)
    assert set(label.tolist()) <= {"ant", "bee", "cat"} and set(probabilities[0]) == {"ant", "bee", "cat"}


REGRESSORS = {
    "linear regression": lambda: LinearRegression(),
    "ridge, L2-normalised rows": lambda: make_pipeline(Normalizer(), Ridge()),
    "decision tree": lambda: DecisionTreeRegressor(max_depth=6, random_state=0),
    "random forest": lambda: RandomForestRegressor(n_estimators=8, max_depth=5, random_state=0),
    "gradient boosting": lambda: GradientBoostingRegressor(n_estimators=8, max_depth=3, random_state=0),
}


@pytest.mark.parametrize("targets", [1, 2])
@pytest.mark.parametrize("name", list(REGRESSORS))
def test_regressors(name, targets):
    if name == "gradient boosting" and targets == 2:
        pytest.skip("scikit-learn's gradient boosting predicts one target")
    x, y = make_regression(n_samples=200, n_features=5, n_targets=targets, random_state=0)
    x = x.astype(np.float32)
    model = REGRESSORS[name]().fit(x, y)
    (prediction,) = _same_as_onnxruntime(model, x[::4])
    np.testing.assert_allclose(prediction.reshape(model.predict(x[::4]).shape), model.predict(x[::4]),
                               rtol=1e-3, atol=1e-3 * np.abs(y).max())


@pytest.mark.parametrize("kernel", ["linear", "poly", "rbf", "sigmoid"])
def test_support_vector_regression(kernel):
    from sklearn.svm import SVR
    x, y = make_regression(n_samples=120, n_features=4, random_state=0)
    x = (x / np.abs(x).max()).astype(np.float32)
    model = SVR(kernel=kernel, C=10.0, degree=2, gamma=0.5, coef0=0.1).fit(x, y)
    (prediction,) = _same_as_onnxruntime(model, x[::3])
    np.testing.assert_allclose(prediction.reshape(-1), model.predict(x[::3]), rtol=1e-3, atol=1e-3 * np.abs(y).max())


@pytest.mark.parametrize("kind", ["strings", "ints"])
def test_categorical_columns_one_hot_encoded(kind):
    from sklearn.preprocessing import OneHotEncoder
    from skl2onnx.common.data_types import Int64TensorType, StringTensorType
    rng = np.random.default_rng(0)
    names = np.array(["red", "green", "blue"]) if kind == "strings" else np.array([3, 5, 7])
    cats = names[rng.integers(3, size=(150, 2))]
    y = ((cats[:, 0] == names[0]) ^ (cats[:, 1] == names[2])).astype(np.int64)
    model = make_pipeline(OneHotEncoder(handle_unknown="ignore"), LogisticRegression()).fit(cats, y)
    kind_of = StringTensorType if kind == "strings" else Int64TensorType
    data = to_onnx(model, initial_types=[("X", kind_of([None, 2]))], target_opset=OPSETS).SerializeToString()
    unknown = "purple" if kind == "strings" else 9            # in no category: a row of zeros
    rows = np.array([[names[0], names[1]], [names[2], unknown], [unknown, names[0]]], dtype=cats.dtype)
    want = ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(
        None, {"X": rows.astype(object) if kind == "strings" else rows})
    sess = wasm_infer.InferenceSession(data)
    for _ in range(2):
        label, probabilities = sess.run(None, {"X": rows})   # strings: a plain numpy string array
        assert label.tolist() == want[0].tolist() == model.predict(rows).tolist()
        np.testing.assert_allclose([list(d.values()) for d in probabilities], [list(d.values()) for d in want[1]],
                                   atol=1e-5)


@pytest.mark.filterwarnings("ignore:.*probability:FutureWarning")   # SVC(probability=True), deprecated in 1.9
@pytest.mark.parametrize("probability", [False, True], ids=["decision", "probability"])
@pytest.mark.parametrize("kernel", ["linear", "rbf", "poly"])
@pytest.mark.parametrize("n_classes", [2, 3, 4])
def test_support_vector_classification(n_classes, kernel, probability):
    from sklearn.svm import SVC
    x, y = _classification(n_classes if n_classes < 4 else 3)
    if n_classes == 4:
        x, y = make_classification(n_samples=200, n_features=6, n_informative=4, n_classes=4, random_state=1)
        x = x.astype(np.float32)
    model = SVC(kernel=kernel, degree=2, probability=probability, random_state=0).fit(x, y)
    label, scores = _same_as_onnxruntime(model, x[::4])
    if not probability:
        assert (label == model.predict(x[::4])).all()


def test_features_fed_as_several_inputs_are_joined_by_a_feature_vectorizer():
    # A model converted with its columns split over two inputs (as a data scientist does for
    # features that arrive from two sources): skl2onnx joins them with ai.onnx.ml FeatureVectorizer.
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType
    x, y = _classification(3)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(x, y)
    onx = convert_sklearn(model, initial_types=[("a", FloatTensorType([None, 2])), ("b", FloatTensorType([None, 4]))],
                          target_opset=OPSETS, options={id(model): {"zipmap": False}})
    assert "FeatureVectorizer" in [n.op_type for n in onx.graph.node]
    data, feeds = onx.SerializeToString(), {"a": x[::7, :2].copy(), "b": x[::7, 2:].copy()}
    want = ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, feeds)
    sess = wasm_infer.InferenceSession(data)
    for _ in range(2):
        labels, probabilities = sess.run(None, feeds)
        assert labels.tolist() == want[0].tolist()
        np.testing.assert_allclose(probabilities, want[1], rtol=1e-5, atol=1e-6)


def test_a_dict_vectorizer_pipeline_takes_one_dict_of_features_per_run():
    # scikit-learn's DictVectorizer: a model fed a {feature name: value} dict, as onnxruntime takes it
    # (the same model runs inside Pyodide in tests/node/sklearn.test.mjs)
    from sklearn_models import dict_model
    data, rows = dict_model()
    ours, theirs = wasm_infer.InferenceSession(data), ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    for row in rows + [{"age": 1.0, "unseen": 5.0}]:
        label, probabilities = ours.run(None, {"x": row})
        want_label, want_probabilities = theirs.run(None, {"x": row})
        assert label.tolist() == want_label.tolist()
        assert probabilities[0].keys() == want_probabilities[0].keys()
        np.testing.assert_allclose(list(probabilities[0].values()), list(want_probabilities[0].values()), atol=1e-6)
