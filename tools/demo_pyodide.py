# Runs inside Pyodide (see tools/demo.mjs): classify photos with wasm_infer and
# time each phase. Inputs arrive as files in Pyodide's file system; the result
# is returned to JavaScript as a JSON string.
import json
import time

import numpy as np

import wasm_infer
from wasm_infer.vision import imagenet_preprocess, softmax_top_k


def main(model_path, labels_path, image_paths, runs):
    labels = json.load(open(labels_path))
    t0 = time.perf_counter()
    sess = wasm_infer.InferenceSession(model_path)
    t1 = time.perf_counter()
    name = sess.get_inputs()[0].name
    images, first_ms = {}, None
    for path in image_paths:
        try:
            x = imagenet_preprocess(path)
        except ValueError as e:
            raise ValueError(f"{path.rsplit('/', 1)[-1]}: {e}") from None
        t = time.perf_counter()
        (logits,) = sess.run(None, {name: x})
        if first_ms is None:
            first_ms = (time.perf_counter() - t) * 1e3
        images[path.rsplit("/", 1)[-1]] = {"top5": [
            {"class_id": i, "label": labels[i] if i < len(labels) else str(i), "prob": round(p, 6)}
            for i, p in softmax_top_k(logits[0], 5)]}
    x = imagenet_preprocess(image_paths[0])
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        sess.run(None, {name: x})
        times.append((time.perf_counter() - t) * 1e3)
    return json.dumps({
        "runtime": {**wasm_infer.runtime_info(), "backend": sess.backend},
        "images": images,
        "timings_ms": {"model_load": (t1 - t0) * 1e3, "first_inference": first_ms,
                       "p50": float(np.percentile(times, 50)), "p90": float(np.percentile(times, 90)),
                       "runs": runs},
    })
