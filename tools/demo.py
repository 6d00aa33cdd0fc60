"""`python3 build.py demo`: classify photos inside Pyodide in Node and report."""
import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"


def _format(result):
    rt = result["runtime"]
    lines = [f"wasm_infer {rt['wasm_infer']} in Pyodide {rt['pyodide']} (Python {rt['python']}, numpy {rt['numpy']}), "
             f"kernels: {rt['backend']}" + ("" if rt["backend"] != "numpy" else f" ({rt['kernels_reason']})"), ""]
    for name, r in result["images"].items():
        lines.append(name)
        for rank, t in enumerate(r["top5"], 1):
            lines.append(f"  {rank}. {t['class_id']:4d}  {t['label']:<32} {t['prob']:7.2%}")
    t = result["timings_ms"]
    lines += ["", "timings (ms)",
              f"  Pyodide boot      {t['pyodide_boot']:9.1f}",
              f"  package install   {t['package_install']:9.1f}   (numpy, Pillow, wasm_infer wheel)",
              f"  model load        {t['model_load']:9.1f}",
              f"  first inference   {t['first_inference']:9.1f}",
              f"  p50 / p90         {t['p50']:9.1f} / {t['p90']:.1f}   over {t['runs']} further inferences"]
    return "\n".join(lines)


def main(argv, node):
    parser = argparse.ArgumentParser(prog="build.py demo", description="Classify photos with EfficientNet-Lite0 "
                                     "inside Pyodide (WebAssembly), with the wasm SIMD kernels.")
    parser.add_argument("--image", action="append", metavar="PATH",
                        help="classify this photo instead of the samples (repeatable)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the report")
    parser.add_argument("--runs", type=int, default=20, help="timed inferences after the first (default 20)")
    args = parser.parse_args(argv)
    from tools.data import PHOTOS
    images = [Path(p) for p in args.image] if args.image else [BUILD / "data" / "images" / p for p in PHOTOS]
    for p in images:
        if not p.is_file():
            parser.error(f"no such image file: {p}")
    cmd = [*node, str(ROOT / "tools" / "demo.mjs"), "--model", str(BUILD / "models" / "efficientnet_lite0.onnx"),
           "--labels", str(BUILD / "data" / "imagenet_labels.json"), "--runs", str(max(args.runs, 1)),
           *[str(p.resolve()) for p in images]]
    print("==> classifying inside Pyodide (Node)", file=sys.stderr, flush=True)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        return proc.returncode
    result = json.loads(proc.stdout)
    print(json.dumps(result, indent=1) if args.json else _format(result))
    return 0
