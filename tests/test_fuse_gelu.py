"""The fuse_gelu pass: GELU written out in the orders exporters use (Erf form,
tanh form) becomes one FusedGelu; the outputs match onnxruntime on the
written-out graph, with and without the pass; near misses stay as they are."""
import math

import numpy as np
import onnxruntime as ort
import pytest
from onnx import helper

import wasm_infer
from helpers import FLOAT, make_model, op_counts

SQRT2 = np.float32(math.sqrt(2))


def _erf_nodes(order, divide=True):
    """x -> y, the Erf form; `order` is where the 0.5 goes (see fuse_gelu's docstring)."""
    nodes = [helper.make_node("Div", ["x", "sqrt2"], ["d"]) if divide else
             helper.make_node("Mul", ["inv_sqrt2", "x"], ["d"]),
             helper.make_node("Erf", ["d"], ["e"]),
             helper.make_node("Add", ["one", "e"] if order == "swapped" else ["e", "one"], ["p"])]
    if order in ("torch", "swapped"):      # Mul(Mul(x, p), 0.5), as torch.onnx writes nn.GELU
        nodes += [helper.make_node("Mul", ["x", "p"] if order == "torch" else ["p", "x"], ["m"]),
                  helper.make_node("Mul", ["m", "half"] if order == "torch" else ["half", "m"], ["y"])]
    elif order == "half_x":                # Mul(Mul(x, 0.5), p)
        nodes += [helper.make_node("Mul", ["half", "x"], ["h"]), helper.make_node("Mul", ["h", "p"], ["y"])]
    else:                                  # Mul(x, Mul(p, 0.5))
        nodes += [helper.make_node("Mul", ["p", "half"], ["h"]), helper.make_node("Mul", ["x", "h"], ["y"])]
    return nodes


def _tanh_nodes(cube):
    if cube == "pow":
        nodes = [helper.make_node("Pow", ["x", "three"], ["c"])]
    else:
        nodes = [helper.make_node("Mul", ["x", "x"], ["sq"]), helper.make_node("Mul", ["x", "sq"], ["c"])]
    return nodes + [
        helper.make_node("Mul", ["kappa", "c"], ["k"]),
        helper.make_node("Add", ["x", "k"], ["s"]),
        helper.make_node("Mul", ["beta", "s"], ["i"]),
        helper.make_node("Tanh", ["i"], ["t"]),
        helper.make_node("Add", ["one", "t"], ["p"]),
        helper.make_node("Mul", ["x", "p"], ["m"]),
        helper.make_node("Mul", ["half", "m"], ["y"])]


CONSTS = {"sqrt2": SQRT2, "inv_sqrt2": np.float32(1 / math.sqrt(2)), "one": np.float32(1), "half": np.float32(0.5),
          "three": np.float32(3), "kappa": np.float32(0.044715), "beta": np.float32(math.sqrt(2 / math.pi))}


def _model(nodes):
    used = {i for n in nodes for i in n.input}
    return make_model(nodes, [("x", FLOAT, [3, 257])], [("y", FLOAT, None)],
                      {k: np.asarray(v) for k, v in CONSTS.items() if k in used})


def _feeds():
    x = np.random.default_rng(5).uniform(-7, 7, (3, 257)).astype(np.float32)
    x[0, :8] = [0, -0.0, 1e-3, -1e-3, 9, -9, 20, -20]
    return {"x": x}


def _check(model, monkeypatch, rtol):
    feeds = _feeds()
    ref = ort.InferenceSession(model, providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    monkeypatch.setenv("WASM_INFER_DISABLE_PASSES", "")
    on = wasm_infer.InferenceSession(model, backend="numpy")
    monkeypatch.setenv("WASM_INFER_DISABLE_PASSES", "fuse_gelu")
    off = wasm_infer.InferenceSession(model, backend="numpy")
    for sess in (on, off):
        y = sess.run(None, feeds)[0]
        # The written-out form rounds at each step (1 + erf cancels for x < 0): compared at
        # the output's magnitude, as the zoo compares models.
        assert np.abs(y - ref).max() <= rtol * np.abs(ref).max()
    return op_counts(on), op_counts(off)


@pytest.mark.parametrize("order", ["torch", "swapped", "half_x", "half_p"])
@pytest.mark.parametrize("divide", [True, False])
def test_erf_forms_fuse(order, divide, monkeypatch):
    on, off = _check(_model(_erf_nodes(order, divide)), monkeypatch, 1e-6)
    assert on == {"FusedGelu": 1}
    assert off["Erf"] == 1 and off["Mul"] >= 2


@pytest.mark.parametrize("cube", ["pow", "muls"])
def test_tanh_forms_fuse(cube, monkeypatch):
    on, off = _check(_model(_tanh_nodes(cube)), monkeypatch, 1e-6)
    assert on == {"FusedGelu": 1}
    assert off["Tanh"] == 1


def test_near_misses_stay(monkeypatch):
    # Wrong constant (x / 2 instead of x / sqrt 2); an intermediate read twice.
    wrong = _erf_nodes("torch")
    wrong[0] = helper.make_node("Div", ["x", "two"], ["d"])
    model = make_model(wrong, [("x", FLOAT, [3, 257])], [("y", FLOAT, None)],
                       {**{k: np.asarray(CONSTS[k]) for k in ("one", "half")}, "two": np.float32(2)})
    on, _ = _check(model, monkeypatch, 1e-6)
    assert "FusedGelu" not in on and on["Erf"] == 1
    shared = _erf_nodes("torch")
    model = make_model(shared, [("x", FLOAT, [3, 257])], [("y", FLOAT, None), ("e", FLOAT, None)],
                       {k: np.asarray(CONSTS[k]) for k in ("sqrt2", "one", "half")})
    sess = wasm_infer.InferenceSession(model, backend="numpy")
    assert "FusedGelu" not in op_counts(sess)


def test_minilm_pattern_from_the_exporter(monkeypatch):
    """The tiny BERT that tools/export_minilm.py writes from random weights: each
    layer's Erf-GELU fuses and the model still matches onnxruntime."""
    from attention_models import bert_feeds, tiny_bert
    rng = np.random.default_rng(3)
    model = tiny_bert(rng)
    feeds = dict(zip(["input_ids", "attention_mask", "token_type_ids"], bert_feeds(rng)))
    refs = ort.InferenceSession(model, providers=["CPUExecutionProvider"]).run(None, feeds)
    monkeypatch.setenv("WASM_INFER_DISABLE_PASSES", "")
    sess = wasm_infer.InferenceSession(model, backend="numpy")
    for y, r in zip(sess.run(None, feeds), refs):
        assert np.abs(y - r).max() <= 1e-5 * np.abs(r).max()
    ops = op_counts(sess)
    assert ops["FusedGelu"] == 2 and "Erf" not in ops
