"""Run two real libraries that `import onnxruntime` (tools/ort_clients.py) on
real inputs, with whatever `onnxruntime` is importable: the real one natively,
or wasm_infer's drop-in after `import wasm_infer.auto_onnxruntime` (natively
in a subprocess, or inside Pyodide in Node and in Chromium: tests/node/ort_compat.test.mjs,
tests/browser/ort_compat.test.mjs).

    python tests/ort_clients_run.py prepare DIR        # writes the inputs into DIR
    python tests/ort_clients_run.py run DIR [--alias] WHEEL...   # prints the results as JSON

`run` only needs the standard library, numpy and Pillow (no FreeType): it is
the same code inside Pyodide. `prepare` draws the captchas with Pillow's
FreeType font natively, so both sides read the same PNG bytes, and copies
README.md: `run` also runs the README's onnxruntime example, taken from the
README itself so the docs and the test cannot drift, on magika's model."""
import json
import os
import re
import sys

README_SECTION = "\n## `import onnxruntime`: the drop-in\n"
OPT_IN = "import wasm_infer.auto_onnxruntime"
CAPTCHAS = ["7K2QF", "2CWK", "A9B3X", "Q0M7"]
# files of this repository for magika, by content type (copied byte for byte)
MAGIKA_FILES = ["README.md", "build.py", "package.json", "web/index.html", "web/demo.js",
                "kernels_wasm/f32_gemm_minmax__wasmsimd.c", "requirements-dev.txt", "pyproject.toml"]


def prepare(out_dir, root):
    import shutil

    import numpy as np
    from PIL import Image, ImageDraw, ImageFont
    os.makedirs(os.path.join(out_dir, "magika"), exist_ok=True)
    os.makedirs(os.path.join(out_dir, "captcha"), exist_ok=True)
    os.makedirs(os.path.join(out_dir, "readme"), exist_ok=True)
    shutil.copyfile(os.path.join(root, "README.md"), os.path.join(out_dir, "readme", "README.md"))
    for rel in MAGIKA_FILES:
        shutil.copyfile(os.path.join(root, rel), os.path.join(out_dir, "magika", rel.replace("/", "__")))
    rng = np.random.default_rng(7)
    font = ImageFont.load_default(size=34)
    for text in CAPTCHAS:
        # exactly the model's 160x60, so no resampling differs between Pillow versions
        img = Image.new("RGB", (160, 60), (235, 235, 225))
        draw = ImageDraw.Draw(img)
        draw.text((12, 10), text, fill=(40, 60, 120), font=font)
        for _ in range(4):
            draw.line([tuple(int(v) for v in rng.integers(0, [160, 60])),
                       tuple(int(v) for v in rng.integers(0, [160, 60]))], fill=(120, 120, 120), width=1)
        img.save(os.path.join(out_dir, "captcha", f"{text}.png"))


def readme_example(readme_text):
    """The first Python block of the README's drop-in section."""
    section = readme_text.split(README_SECTION, 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S)[1]


def run_readme(in_dir, model):
    """Run the README's onnxruntime example as written, in a folder whose
    model.onnx is `model`, with the `x` it leaves to the reader. Against the
    real onnxruntime (the reference) its opt-in line is left out."""
    import shutil
    import tempfile

    import numpy as np
    import onnxruntime
    with open(os.path.join(in_dir, "readme", "README.md"), encoding="utf-8") as f:
        code = readme_example(f.read())
    lines = code.splitlines()
    if not lines[0].startswith(OPT_IN):
        raise AssertionError(f"the README's onnxruntime example no longer starts with {OPT_IN!r}")
    if onnxruntime.__name__ == "onnxruntime":
        code = "\n".join(lines[1:])
    work, cwd = tempfile.mkdtemp(prefix="readme-"), os.getcwd()
    shutil.copyfile(model, os.path.join(work, "model.onnx"))
    scope = {"x": np.random.default_rng(0).integers(0, 257, (2, 2048)).astype(np.int32)}   # magika's bytes
    os.chdir(work)
    try:
        exec(compile(code, "README.md", "exec"), scope)
    finally:
        os.chdir(cwd)
        shutil.rmtree(work, ignore_errors=True)
    return {"module": scope["ort"].__name__, "shape": list(scope["y"].shape),
            "y": [float(v) for v in scope["y"].ravel()]}


def run(in_dir):
    """{"onnxruntime": module that ran, "magika": [...], "captcha": [...], "readme": {...}} for the inputs in in_dir."""
    import warnings

    import onnxruntime
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import captcha_whisperer
        import magika
        detector = magika.Magika()
        reader = captcha_whisperer.CaptchaRecognizer()
    found = []
    for name in sorted(os.listdir(os.path.join(in_dir, "magika"))):
        with open(os.path.join(in_dir, "magika", name), "rb") as f:
            result = detector.identify_bytes(f.read())
        found.append({"file": name, "label": str(result.output.label), "dl": str(result.dl.label),
                      "score": float(result.score)})
    read = []
    for name in sorted(os.listdir(os.path.join(in_dir, "captcha"))):
        with open(os.path.join(in_dir, "captcha", name), "rb") as f:
            read.append({"file": name, **reader.recognize_bytes(f.read())})
    model = os.path.join(os.path.dirname(magika.__file__), "models", "standard_v3_3", "model.onnx")
    return {"onnxruntime": onnxruntime.__name__, "magika": found, "captcha": read, "readme": run_readme(in_dir, model),
            "warnings": sorted({f"{w.category.__name__}: {w.message}" for w in caught})}


def main(argv):
    if argv[0] == "prepare":
        prepare(argv[1], os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        return
    in_dir, rest = argv[1], argv[2:]
    if rest and rest[0] == "--alias":
        import wasm_infer.auto_onnxruntime  # noqa: F401
        rest = rest[1:]
    import shutil
    import tempfile
    import zipfile
    site = tempfile.mkdtemp(prefix="ort-clients-")
    try:
        for wheel in rest:      # a wheel is a zip: unpacked, it is importable (dist-info included)
            zipfile.ZipFile(wheel).extractall(site)
        sys.path.insert(0, site)
        print(json.dumps(run(in_dir)))
    finally:
        shutil.rmtree(site, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
