"""Fuzzing (issue 7): mutated real and synthetic models and bad feeds must
each end in success or a WasmInferError subclass — never another exception,
a crash or a hang.

The loop (tests/fuzzing.py) runs in a child process whose address space is
limited to 4 GiB, like a wasm32 heap, with a per-case alarm. Seeded and
time-bounded: WASM_INFER_FUZZ_SEED (default fixed) and
WASM_INFER_FUZZ_SECONDS (default 25) choose the run; a failure prints the
seed, the case number and the mutation, so
`python tests/fuzzing.py --seed S --seconds T MODELS...` reproduces it.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import fuzz_corpus

HERE = Path(__file__).resolve().parent
SEED = int(os.environ.get("WASM_INFER_FUZZ_SEED", "20261123"))
SECONDS = float(os.environ.get("WASM_INFER_FUZZ_SECONDS", "25"))


def test_fuzz_models_and_feeds(tmp_path, effnet_path):
    models = [str(p) for p in fuzz_corpus.write(tmp_path)]
    # The real model: mutated structure; run after 1 in 10 mutations (a run costs ~0.3 s natively).
    models.append(f"{effnet_path}:0.1")
    env = {**os.environ, "WASM_INFER_BACKEND": "numpy", "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(
        [sys.executable, str(HERE / "fuzzing.py"), "--seed", str(SEED), "--seconds", str(SECONDS),
         "--case-timeout", "10", "--address-space", str(4 << 30), *models],
        capture_output=True, text=True, timeout=SECONDS + 120, env=env)
    assert proc.stdout.strip(), f"the fuzzer died (exit {proc.returncode}): {proc.stderr[-3000:]}"
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"fuzz seed {SEED}: {result['cases']} cases in {SECONDS:.0f} s: {result['counts']}")
    assert result["cases"] > 200, result
    assert result["counts"].get("ok", 0) > 0 and result["counts"].get("ModelError", 0) > 0, result
    report = "\n\n".join(f"{f['case']}\n{f['error']}" for f in result["failures"])
    assert not result["failed"], f"{result['failed']} cases failed (seed {SEED}):\n{report}"
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_mutations_keep_the_structure_walkable():
    """The mutator's length fix-ups: a field duplicated inside a nested message
    leaves a model the reader still parses."""
    import numpy as np

    import fuzzing
    from wasm_infer import ir
    data = fuzz_corpus.conv_net()
    fields = fuzzing.walk(memoryview(data))
    node = next(f for f in fields if f["message"] == "NodeProto" and f["name"] == "attribute")
    dup = fuzzing._replace(data, fields, node["parent"], node["end"], node["end"], data[node["key"]:node["end"]])
    assert len(ir.load(dup).graph.nodes) == len(ir.load(data).graph.nodes)
    rng = np.random.default_rng(0)
    kinds = {fuzzing.mutate(data, rng, fields)[0].split()[0] for _ in range(300)}
    assert {"bitflip", "truncate", "length", "varint", "shuffle", "delete"} <= kinds
