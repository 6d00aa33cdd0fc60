"""The example notebooks run unchanged in CPython, on a real Jupyter kernel
(ipykernel, driven by nbclient), with the NumPy backend: the same cells that
tests/browser/lite.test.mjs runs in JupyterLite with the wasm kernels.
They find the model and photos in ../build when run from examples/."""
import nbclient
import nbformat
import pytest

from conftest import ROOT

EXAMPLES = ROOT / "examples"


def run_notebook(name):
    # As a user runs it: a kernel started in examples/, which finds wasm_infer
    # in the checkout itself (its first cell), and the model and photos in ../build.
    nb = nbformat.read(EXAMPLES / name, as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=300,
                                     resources={"metadata": {"path": str(EXAMPLES)}})
    client.execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    errors = [o for o in outputs if o.output_type == "error" or o.get("name") == "stderr"]
    assert not errors, f"{name}: error output {errors}"
    return "\n".join(o.get("text", "") + "".join(v for k, v in o.get("data", {}).items()
                                                 if k in ("text/plain", "text/markdown"))
                     for o in outputs)


@pytest.mark.usefixtures("effnet_path", "photos_dir")
def test_classify_notebook_runs_natively():
    text = run_notebook("classify.ipynb")
    line = next(l for l in text.splitlines() if l.startswith("chelsea.png: "))
    assert any(cat in line for cat in ("Egyptian Mau", "tabby", "tiger cat", "Persian cat", "Siamese cat")), line
    assert "backend **numpy**" in text
    assert "no wasm kernels: not running under Pyodide" in text


@pytest.mark.usefixtures("effnet_path")
def test_bring_your_own_model_notebook_runs_natively():
    text = run_notebook("bring_your_own_model.ipynb")
    assert "| input | input | ['batch', 3, 224, 224] | tensor(float) |" in text
    assert "kernels and NumPy agree" in text


@pytest.mark.usefixtures("effnet_path", "photos_dir")
def test_evaluate_notebook_runs_natively():
    text = run_notebook("evaluate.ipynb")
    # 7 photos in class folders (2 in the wrong one) and a file that is not an image
    assert "<Report 7 photos (1 skipped): top-1 " in text
    assert "progress: 8 callbacks, the last (8, 8)" in text
    assert "skipped moped/corrupt.jpg: unreadable image" in text
    mistakes = text.split("### Mistakes")[1].split("### Per class")[0]
    assert "| goldfish/coffee.png | goldfish | espresso |" in mistakes
    assert "| espresso/rocket.jpg | espresso | missile |" in mistakes
    assert "| goldfish | espresso | 1 |" in text          # a confusion: true goldfish, predicted espresso
    assert "report.html: " in text and "hard case(s) in hard.json" in text
    # the hard cases re-run on thumbnails: the rocket is no longer a missile (it was right, under 50%)
    hard = int(text.split("regression set: ")[1].split()[0])
    assert f"{hard} photos in common: top-1 " in text
    changed = text.split("predictions changed")[1]
    assert "missile/rocket.jpg [missile]: missile ✓ → " in changed and "✗" in changed.split("missile/rocket.jpg")[1]
