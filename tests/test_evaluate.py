"""wasm_infer.evaluate on a small labelled folder built from the sample photos
(classes onnxruntime and wasm_infer agree on, see README), with a deliberately
wrong label, a corrupt file and photos in odd modes; compare() and the
regression set; bad input."""
import json
import shutil

import numpy as np
import pytest
from PIL import Image

import wasm_infer
from wasm_infer import InputError
from wasm_infer.evaluation.labels import Matcher, imagenet_labels
from wasm_infer.vision import imagenet_preprocess

ESPRESSO, MAU, TABBY, GOLDFISH = 967, 285, 281, 1


@pytest.fixture(scope="module")
def sess(effnet_path):
    return wasm_infer.InferenceSession(effnet_path)


@pytest.fixture(scope="module")
def folder(tmp_path_factory, photos_dir):
    """egyptian_mau, espresso, missile, moped: what the model answers; tabby/
    holds chelsea too (the model says Egyptian Mau: a mistake with the label in
    its top-5); goldfish/ holds the coffee photo (a wrong label); a corrupt
    file; the coffee photo as CMYK JPEG, 16-bit grey PNG, RGBA PNG, animated GIF."""
    root = tmp_path_factory.mktemp("labelled")
    put = {"Egyptian_Mau": ["chelsea.png"], "tabby": ["chelsea.png"], "espresso": ["coffee.png"],
           "missile": ["rocket.jpg"], "moped": ["motorcycle_left.png"], "goldfish": ["coffee.png"]}
    for cls, photos in put.items():
        (root / cls).mkdir()
        for p in photos:
            shutil.copy(photos_dir / p, root / cls / p)
    coffee = Image.open(photos_dir / "coffee.png").convert("RGB")
    coffee.convert("CMYK").save(root / "espresso" / "cmyk.jpg")
    grey16 = (np.asarray(coffee.convert("L"), np.uint16) * 257).astype(np.uint16)
    Image.fromarray(grey16).save(root / "espresso" / "grey16.png")
    rgba = coffee.convert("RGBA")
    rgba.putalpha(255)
    rgba.save(root / "espresso" / "alpha.png")
    coffee.save(root / "espresso" / "anim.gif", save_all=True, append_images=[coffee.rotate(90)], duration=100)
    (root / "moped" / "bad<b>.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated, not a JPEG")
    return root


@pytest.fixture(scope="module")
def report(sess, folder):
    return wasm_infer.evaluate(sess, folder, progress=False)


def test_imagenet_synonyms_match_folder_names():
    m = Matcher(imagenet_labels())
    assert m("tabby") == m("Tabby_Cat") == m("tabby cat") == TABBY
    assert m("egyptian-mau") == MAU
    assert m("no such thing") is None
    with pytest.raises(InputError, match=r"'tabbby'.*'no such thing'|'no such thing'.*'tabbby'"):
        m.resolve(["tabby", "tabbby", "no such thing"])


def test_report_numbers_follow_from_the_predictions(report, folder):
    # 11 files, 1 corrupt: 10 evaluated
    assert len(report.records) == 10
    assert [s["name"] for s in report.skipped] == ["moped/bad<b>.jpg"]
    assert "unreadable image" in report.skipped[0]["reason"]
    by = report.by_name
    for name in ("espresso/cmyk.jpg", "espresso/grey16.png", "espresso/alpha.png", "espresso/anim.gif"):
        assert by[name]["true"] == ESPRESSO and by[name]["top"][0][0] == ESPRESSO, by[name]
    assert by["goldfish/coffee.png"]["true"] == GOLDFISH and by["tabby/chelsea.png"]["true"] == TABBY
    # the deliberately wrong label is a mistake, and so is tabby (the model says Egyptian Mau)
    mistakes = {r["name"] for r in report.mistakes}
    assert {"goldfish/coffee.png", "tabby/chelsea.png"} <= mistakes
    assert by["goldfish/coffee.png"]["top"][0][0] == ESPRESSO
    # accuracy, recomputed here from the per-photo records
    n = len(report.records)
    top1 = sum(r["top"][0][0] == r["true"] for r in report.records) / n
    top5 = sum(r["true"] in [c for c, _ in r["top"]] for r in report.records) / n
    assert report.top1_accuracy == pytest.approx(top1) and report.topk_accuracy == pytest.approx(top5)
    assert report.topk_accuracy > report.top1_accuracy      # tabby is in chelsea's top-5
    assert report.summary["confident_mistakes"][0] in mistakes
    probs = [report.by_name[m]["top"][0][1] for m in report.summary["confident_mistakes"]]
    assert probs == sorted(probs, reverse=True)
    unsure = [report.by_name[m]["top"][0][1] for m in report.summary["unsure_correct"]]
    assert unsure == sorted(unsure) and all(report.by_name[m]["name"] not in mistakes
                                            for m in report.summary["unsure_correct"])
    # the confusion list and the matrix agree
    conf = {(c["true"], c["predicted"]): c["count"] for c in report.summary["confusions"]}
    assert conf[(GOLDFISH, ESPRESSO)] == 1 and conf[(TABBY, MAU)] == 1
    cm = report.summary["confusion"]
    assert sum(map(sum, cm["counts"])) == n
    i, j = cm["classes"].index(GOLDFISH), cm["classes"].index(ESPRESSO)
    assert cm["counts"][i][j] == 1
    espresso = next(pc for pc in report.summary["per_class"] if pc["class"] == ESPRESSO)
    assert espresso["recall"] == pytest.approx(espresso["correct"] / espresso["support"])
    assert espresso["precision"] == pytest.approx(espresso["correct"] / espresso["predicted"])
    assert espresso["predicted"] > espresso["support"]       # the goldfish-labelled coffee counts against it
    lat = report.latency_ms
    assert 0 < lat["p50"] <= lat["p90"] <= lat["p99"]
    assert lat["p99"] == max(r["latency_ms"] for r in report.records)


def test_save_writes_self_contained_escaped_html_and_json(report, tmp_path):
    html_path, json_path = report.save(tmp_path / "report.html")
    page = html_path.read_text()
    data = json.loads(json_path.read_text())
    assert data["top1_accuracy"] == report.top1_accuracy and data["evaluated"] == 10
    assert "bad&lt;b&gt;.jpg" in page and "bad<b>" not in page
    assert "<script" not in page and "https://" not in page and "src='http" not in page
    assert "<svg" in page and "data:image/jpeg;base64," in page
    assert "Egyptian Mau" in page and "goldfish" in page


def test_progress_callback_and_terminal_line(sess, photos_dir, capsys):
    pairs = [(photos_dir / "coffee.png", "espresso"), (photos_dir / "rocket.jpg", "missile")]
    calls = []
    wasm_infer.evaluate(sess, pairs, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 2), (2, 2)]
    wasm_infer.evaluate(sess, pairs, progress=True)
    err = capsys.readouterr().err
    assert "\revaluate 100%|" in err and "2/2" in err


def test_compare_lists_changed_predictions(sess, report, folder):
    def grey(src):          # a second "model": the same network shown grey photos
        return imagenet_preprocess(Image.open(src).convert("L"))
    other = wasm_infer.evaluate(sess, folder, preprocess=grey, progress=False)
    cmp = wasm_infer.compare(report, other)
    changed = {n for n in report.by_name if report.by_name[n]["top"][0][0] != other.by_name[n]["top"][0][0]}
    assert changed, "greyscale photos should change some prediction"
    assert {c["name"] for c in cmp.changed} == changed
    assert cmp.accuracy_delta == pytest.approx(other.top1_accuracy - report.top1_accuracy)
    assert str(cmp).count("\n") == len(changed)
    same = wasm_infer.compare(report, report)
    assert same.changed == [] and same.accuracy_delta == 0


def test_regression_set_reruns_exactly_the_hard_cases(sess, report, tmp_path):
    path = tmp_path / "hard.json"
    n = report.regression_set(path)
    hard = {r["name"] for r in report.hard_cases()}
    assert n == len(hard) >= 2
    again = wasm_infer.evaluate(sess, path, progress=False)
    assert set(again.by_name) == hard
    for name in hard:
        assert again.by_name[name]["top"] == report.by_name[name]["top"]
    assert wasm_infer.compare(report, again).changed == []
    # with paths instead of embedded bytes
    report.regression_set(tmp_path / "paths.json", embed=False)
    assert set(wasm_infer.evaluate(sess, tmp_path / "paths.json", progress=False).by_name) == hard


def test_csv_dataset(sess, photos_dir, tmp_path):
    shutil.copy(photos_dir / "coffee.png", tmp_path / "coffee.png")
    (tmp_path / "set.csv").write_text("path,label\ncoffee.png,Espresso\n")
    r = wasm_infer.evaluate(sess, tmp_path / "set.csv", progress=False)
    assert list(r.by_name) == ["coffee.png"] and r.top1_accuracy == 1.0


def test_bad_input_gives_clear_errors(sess, tmp_path, photos_dir):
    with pytest.raises(InputError, match="no class folders"):
        wasm_infer.evaluate(sess, tmp_path, progress=False)
    (tmp_path / "espresso").mkdir()
    with pytest.raises(InputError, match="hold no files"):
        wasm_infer.evaluate(sess, tmp_path, progress=False)
    shutil.copy(photos_dir / "coffee.png", tmp_path / "espresso")
    (tmp_path / "kitchen_gadget").mkdir()
    shutil.copy(photos_dir / "coffee.png", tmp_path / "kitchen_gadget")
    with pytest.raises(InputError, match="'kitchen_gadget'"):
        wasm_infer.evaluate(sess, tmp_path, progress=False)
    with pytest.raises(InputError, match="none of the 1 photos"):
        wasm_infer.evaluate(sess, [(b"not an image", "espresso")], progress=False)
    with pytest.raises(InputError, match="neither a folder nor a file"):
        wasm_infer.evaluate(sess, tmp_path / "missing", progress=False)
    with pytest.raises(InputError, match="labels: 2 class names"):
        wasm_infer.evaluate(sess, tmp_path, labels=["a", "b"], progress=False)


def test_a_model_whose_output_is_an_image_is_refused(tmp_path, photos_dir):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 224, 224])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 224, 224])
    g = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "image_out", [x], [y])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    s = wasm_infer.InferenceSession(model.SerializeToString())
    with pytest.raises(InputError, match=r"not a class score vector"):
        wasm_infer.evaluate(s, [(photos_dir / "coffee.png", "0")], progress=False)


def test_evaluate_and_compare_are_imported_at_first_use():
    """`import wasm_infer` leaves the evaluation package alone (Pyodide would
    compile its modules at every page load); wasm_infer.evaluate, .compare,
    `from wasm_infer import evaluate` and dir() still find them."""
    import subprocess
    import sys
    script = """
import sys, wasm_infer
before = sorted(m for m in sys.modules if m.startswith("wasm_infer.evaluation"))
from wasm_infer import evaluate
print(before, evaluate.__module__, wasm_infer.compare.__module__, "evaluate" in dir(wasm_infer))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["[]", "wasm_infer.evaluation.run", "wasm_infer.evaluation.compare", "True"]
    with pytest.raises(AttributeError, match="has no attribute 'evaluat'"):
        wasm_infer.evaluat
