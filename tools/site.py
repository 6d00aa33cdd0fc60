"""Assemble the self-contained web demo in build/site/ (`python3 build.py serve`).

    build/site/
      index.html demo.js demo.css                 the page (web/)
      vision.js charts.js                         canvas preprocessing, canvas charts (web/)
      op_names.js                                 the per-op chart's ONNX op names (web/)
      evaluate.js eval_report.js eval_view.js     the Evaluate mode, its numbers and its views (web/)
      evaluate.css zip.js                         its style, and its reader for zips of photos (web/)
      wasm_infer.js wasm_infer_*.js               the JS shim and its modules (web/)
      wasm_infer.worker.js wasm_infer_bridge.py   its Web Worker and the worker's Python side (web/)
      wasm_infer.json                             manifest: where the shim finds Pyodide and the wheel
      pyodide/                                    the offline Pyodide distribution (build/pyodide)
      wheels/wasm_infer-*.whl                     the wheel with the kernel module (build/dist)
      models/efficientnet_lite0.onnx              the demo model (build/models)
      data/imagenet_labels.json, data/images/*    labels and sample photos (build/data)
      data/imagenet_classes.json                  ImageNet names with their WordNet synonyms and the
                                                  name-matching pattern of wasm_infer.evaluation.labels
                                                  (the Evaluate mode matches folder names with them)
      lite/                                       JupyterLite, built by `build.py lite` (not touched here)

Nothing is fetched from anywhere else. Files are copied only when their size
or mtime changed, so re-running is cheap; stale wheels are removed. The
folder is owned by this step except for `lite/`, which another step builds.
"""
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
WEB = ROOT / "web"
# The shim's files are those its npm package lists (web/package.json "files"), so both stay in step.
SHIM_FILES = tuple(f for f in json.loads((WEB / "package.json").read_text())["files"] if f.endswith((".js", ".py")))
PAGE_FILES = ("index.html", "demo.js", "demo.css", "vision.js", "charts.js", *SHIM_FILES,
              "op_names.js", "evaluate.js", "evaluate.css", "eval_report.js", "eval_view.js", "zip.js")
MODEL = "efficientnet_lite0.onnx"


def _copy(src, dst):
    """Copy src to dst unless dst already has the same size and mtime."""
    src, dst = Path(src), Path(dst)
    if not src.is_file():
        raise FileNotFoundError(f"{src.relative_to(ROOT) if src.is_relative_to(ROOT) else src} is missing "
                                "(an earlier build step should have made it)")
    s = src.stat()
    if dst.is_file():
        d = dst.stat()
        if d.st_size == s.st_size and int(d.st_mtime) == int(s.st_mtime):
            return False
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + ".tmp")
    shutil.copy2(src, tmp)
    tmp.replace(dst)
    return True


def _copy_tree(src_dir, dst_dir, pattern="*"):
    src_dir, dst_dir = Path(src_dir), Path(dst_dir)
    wanted = {p.name for p in src_dir.glob(pattern) if p.is_file()}
    for name in sorted(wanted):
        _copy(src_dir / name, dst_dir / name)
    return wanted


def _prune(dst_dir, keep):
    """Remove files of dst_dir not in keep (e.g. the wheel of an older version)."""
    for p in Path(dst_dir).glob("*"):
        if p.is_file() and p.name not in keep:
            p.unlink()


def _write_if_changed(path, text):
    if not path.is_file() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _imagenet_classes(out):
    """The page's copy of Python's label matching data: the same class lists
    ([display name, synonyms...]) and the same normalisation pattern, so a
    folder `tabby` matches "tabby cat" on the page as in wasm_infer.evaluate."""
    if str(ROOT) not in sys.path:        # run as `python3 tools/site.py`
        sys.path.insert(0, str(ROOT))
    from wasm_infer.evaluation.labels import NORM_PATTERN, imagenet_labels
    classes = imagenet_labels()
    if classes is None or len(classes) != 1000:
        raise FileNotFoundError("the imagenet-classes package is not installed in .venv (requirements-dev.txt has it)")
    _write_if_changed(out, json.dumps({"normalize": NORM_PATTERN, "classes": classes}, separators=(",", ":")) + "\n")


def build(site=BUILD / "site", build=BUILD, web=WEB):
    site, build, web = Path(site), Path(build), Path(web)
    site.mkdir(parents=True, exist_ok=True)
    for name in PAGE_FILES:
        _copy(web / name, site / name)

    pyodide = _copy_tree(build / "pyodide", site / "pyodide")
    if "pyodide.asm.wasm" not in pyodide:
        raise FileNotFoundError("build/pyodide has no pyodide.asm.wasm: the 'pyodide' step did not finish")
    _prune(site / "pyodide", pyodide)

    wheels = sorted((build / "dist").glob("wasm_infer-*-py3-none-any.whl"))
    if len(wheels) != 1:
        raise FileNotFoundError(f"expected one wasm_infer wheel in build/dist, found {len(wheels)}")
    wheel = wheels[0]
    _copy(wheel, site / "wheels" / wheel.name)
    _prune(site / "wheels", {wheel.name})

    _copy(build / "models" / MODEL, site / "models" / MODEL)
    _copy(build / "data" / "imagenet_labels.json", site / "data" / "imagenet_labels.json")
    _imagenet_classes(site / "data" / "imagenet_classes.json")
    images = _copy_tree(build / "data" / "images", site / "data" / "images")
    _prune(site / "data" / "images", images)

    # Paths are relative to the manifest, so the site can live under any prefix.
    manifest = {
        "pyodide": "pyodide/",
        "wheel": f"wheels/{wheel.name}",
        "model": f"models/{MODEL}",
        "labels": "data/imagenet_labels.json",
        "classes": "data/imagenet_classes.json",
        "samples": [f"data/images/{name}" for name in sorted(images)],
        # JupyterLite is built by another step (build.py lite); the page links to it when present.
        "lite": "lite/" if (site / "lite" / "index.html").is_file() else None,
    }
    _write_if_changed(site / "wasm_infer.json", json.dumps(manifest, indent=2) + "\n")
    return site


if __name__ == "__main__":
    print(build())
