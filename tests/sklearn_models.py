"""scikit-learn models as a data scientist exports them (skl2onnx), with
onnxruntime's outputs, for running inside Pyodide (tests/node/sklearn.test.mjs).

    python tests/sklearn_models.py OUT_DIR    writes OUT_DIR/<name>.onnx, <name>.x.npy
                                              and <name>.ref.json (onnxruntime's outputs);
                                              dictvec.onnx is fed dicts: dictvec.rows.json
"""
import json
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import GradientBoostingRegressor, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from skl2onnx import to_onnx


def models():
    x, y = make_classification(n_samples=200, n_features=6, n_informative=4, n_classes=3, random_state=0)
    xr, yr = make_regression(n_samples=200, n_features=5, random_state=0)
    x, xr = x.astype(np.float32), xr.astype(np.float32)
    rows = x[::5].copy()
    rows[::3, 2] = np.nan
    return {
        "logistic": (make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression(max_iter=500)).fit(x, y), rows),
        "forest": (RandomForestClassifier(n_estimators=10, max_depth=6, random_state=0).fit(x, y), x[::5]),
        "boosting": (GradientBoostingRegressor(n_estimators=10, random_state=0).fit(xr, yr), xr[::5]),
        "svc": (SVC(kernel="rbf", probability=True, random_state=0).fit(x, y), x[::5]),
    }


def dict_model():
    """A DictVectorizer pipeline, fed one {feature name: value} dict per run, as
    skl2onnx exports it (bytes), and some of its rows."""
    from sklearn.feature_extraction import DictVectorizer
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import DictionaryType, FloatTensorType, StringTensorType
    rng = np.random.default_rng(0)
    names = ["age", "height", "weight", "score", "visits"]
    rows = [{n: float(rng.normal()) for n in rng.choice(names, 3, replace=False)} for _ in range(60)]
    labels = [int(r.get("age", 0) + r.get("score", 0) > 0) for r in rows]
    model = make_pipeline(DictVectorizer(sparse=False), LogisticRegression()).fit(rows, labels)
    data = convert_sklearn(model, initial_types=[("x", DictionaryType(StringTensorType([1]), FloatTensorType([1])))],
                           target_opset={"": 17, "ai.onnx.ml": 3}).SerializeToString()
    return data, rows[:8]


def _plain(results):
    return [[{str(k): v for k, v in row.items()} for row in r] if isinstance(r, list) else r.tolist() for r in results]


def main(out):
    import warnings
    warnings.filterwarnings("ignore", ".*probability", FutureWarning)    # SVC(probability=True), deprecated in 1.9
    out = Path(out)
    for name, (model, x) in models().items():
        data = to_onnx(model, x[:1], target_opset={"": 17, "ai.onnx.ml": 3}).SerializeToString()
        (out / f"{name}.onnx").write_bytes(data)
        np.save(out / f"{name}.x.npy", x)
        results = ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, {"X": x})
        (out / f"{name}.ref.json").write_text(json.dumps(_plain(results)))
    data, rows = dict_model()
    (out / "dictvec.onnx").write_bytes(data)
    (out / "dictvec.rows.json").write_text(json.dumps(rows))
    sess = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    (out / "dictvec.ref.json").write_text(json.dumps([_plain(sess.run(None, {"x": row})) for row in rows]))


if __name__ == "__main__":
    main(sys.argv[1])
