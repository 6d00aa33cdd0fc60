"""scikit-learn models of a realistic size for tools/bench_sklearn.mjs, exported by
skl2onnx with probability tensors (no ZipMap, which onnxruntime-web cannot return).

    python tools/sklearn_bench_models.py OUT_DIR   writes <name>.onnx and <name>.x.npy (256 rows)
"""
import sys
import warnings

import numpy as np
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import GradientBoostingRegressor, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from skl2onnx import to_onnx


def main(out):
    warnings.filterwarnings("ignore", ".*probability", FutureWarning)     # SVC(probability=True), deprecated in 1.9
    x, y = make_classification(n_samples=2000, n_features=20, n_informative=10, n_classes=3, random_state=0)
    xr, yr = make_regression(n_samples=2000, n_features=20, random_state=0)
    x, xr = x.astype(np.float32), xr.astype(np.float32)
    logistic = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(x, y)
    models = {
        "logistic": (logistic, x, {id(logistic.steps[-1][1]): {"zipmap": False}}),
        "forest100": (RandomForestClassifier(n_estimators=100, max_depth=8, random_state=0).fit(x, y), x, "zipmap"),
        "boosting100": (GradientBoostingRegressor(n_estimators=100, max_depth=3, random_state=0).fit(xr, yr), xr, None),
        "svc_rbf": (SVC(probability=True, random_state=0).fit(x[:600], y[:600]), x, "zipmap"),
    }
    for name, (model, data, options) in models.items():
        if options == "zipmap":
            options = {id(model): {"zipmap": False}}
        onx = to_onnx(model, data[:1], target_opset={"": 17, "ai.onnx.ml": 3}, options=options)
        with open(f"{out}/{name}.onnx", "wb") as f:
            f.write(onx.SerializeToString())
        np.save(f"{out}/{name}.x.npy", data[:256])


if __name__ == "__main__":
    main(sys.argv[1])
