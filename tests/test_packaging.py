"""The packages a user installs outside this checkout: the wheel that the PEP 517
backend builds from pyproject.toml (its contents equal what pyproject.toml
declares, byte-reproducible, installable offline into a fresh venv with the
[vision] extra, running the README's example from another directory) and the
versions and license shared by the wheel and the npm package."""
import json
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from tools import wheel as wheel_tool

ROOT = Path(__file__).resolve().parent.parent
KERNELS = ROOT / "build" / "kernels"
RUNTIME_WHEELS = ROOT / "build" / "cache" / "runtime-wheels"   # tools/wheel.fetch_runtime_wheels
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
TIMEOUT = 300     # seconds, for every subprocess: a hang fails the test instead of blocking the run


def _kernels_built():
    missing = [n for n in wheel_tool.KERNEL_FILES if not (KERNELS / n).is_file()]
    if missing:
        pytest.skip(f"the kernels are not built ({', '.join(missing)} missing in build/kernels): "
                    "run `python3 build.py setup`")


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    """The project's build inputs, copied once: every wheel of these tests is built
    from the same sources even while the checkout is being edited."""
    _kernels_built()
    root = tmp_path_factory.mktemp("project")
    wheel_tool.stage(ROOT, root, KERNELS)
    return root


@pytest.fixture(scope="module")
def built_wheel(snapshot, tmp_path_factory):
    return wheel_tool.build(snapshot, tmp_path_factory.mktemp("dist"), KERNELS / "_kernels.so")


def _declared_files(root):
    """The wheel's file list as pyproject.toml declares it: every module of the
    package, the force-included kernel files, and the .dist-info files."""
    name, version = PYPROJECT["project"]["name"].replace("-", "_"), PYPROJECT["project"]["version"]
    info = f"{name}-{version}.dist-info"
    modules = {p.relative_to(root).as_posix() for p in (root / "wasm_infer").rglob("*.py")
               if "__pycache__" not in p.parts}
    data = set(wheel_tool.forced_files(PYPROJECT).values())
    meta = {f"{info}/{n}" for n in ("METADATA", "WHEEL", "RECORD")}
    licenses = {f"{info}/licenses/{n}" for n in PYPROJECT["project"]["license-files"]}
    return modules | data | meta | licenses


def test_the_wheel_holds_exactly_what_pyproject_declares(snapshot, built_wheel):
    declared = _declared_files(snapshot)
    assert {f"wasm_infer/{n}" for n in ("__init__.py", "kernels/loader.py", "ops/__init__.py")} <= declared
    # Every file build/kernels gets from tools/build_kernels.py, where wasm_infer.kernels looks for it.
    assert set(wheel_tool.forced_files(PYPROJECT).values()) == {f"wasm_infer/{n}" for n in wheel_tool.KERNEL_FILES}
    assert built_wheel.name == f"wasm_infer-{PYPROJECT['project']['version']}-py3-none-any.whl"
    with zipfile.ZipFile(built_wheel) as zf:
        names = set(zf.namelist())
        assert names == declared, (sorted(names - declared), sorted(declared - names))
        for source, target in wheel_tool.forced_files(PYPROJECT).items():
            assert zf.read(target) == (KERNELS / Path(source).name).read_bytes(), target
        info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        metadata = zf.read(f"{info}/METADATA").decode()
        assert zf.read(f"{info}/licenses/LICENSE") == (ROOT / "LICENSE").read_bytes()
        wheel_file = zf.read(f"{info}/WHEEL").decode()
    assert "Tag: py3-none-any" in wheel_file and "Root-Is-Purelib: true" in wheel_file
    headers = dict(re.findall(r"^([A-Za-z-]+): (.*)$", metadata.split("\n\n")[0], re.M))
    assert headers["Name"] == "wasm-infer" and headers["Version"] == PYPROJECT["project"]["version"]
    assert headers["License-Expression"] == "Apache-2.0" and headers["License-File"] == "LICENSE"
    assert "Provides-Extra: vision" in metadata
    assert re.search(r"^Requires-Dist: pillow\b.*; extra == .vision.$", metadata, re.M | re.I), metadata[:800]
    assert re.search(r"^Requires-Dist: numpy\b", metadata, re.M)


def test_the_wheel_is_reproducible(snapshot, built_wheel, tmp_path, monkeypatch):
    again = wheel_tool.build(snapshot, tmp_path / "again", KERNELS / "_kernels.so")
    assert again.read_bytes() == built_wheel.read_bytes()
    # SOURCE_DATE_EPOCH, when set, is every file's date (and the bytes are again stable).
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")   # 2023-11-14 22:13:20 UTC
    dated = wheel_tool.build(snapshot, tmp_path / "dated", KERNELS / "_kernels.so")
    dated_again = wheel_tool.build(snapshot, tmp_path / "dated_again", KERNELS / "_kernels.so")
    assert dated.read_bytes() == dated_again.read_bytes() != built_wheel.read_bytes()
    with zipfile.ZipFile(dated) as zf:
        assert {i.date_time[:3] for i in zf.infolist()} == {(2023, 11, 14)}


def test_a_missing_kernel_file_is_named(tmp_path):
    _kernels_built()
    (tmp_path / "_kernels.so").write_bytes((KERNELS / "_kernels.so").read_bytes())
    with pytest.raises(FileNotFoundError, match=r"_kernels_relaxed\.wasm is missing: pyproject.toml puts"):
        wheel_tool.build(ROOT, tmp_path / "dist", tmp_path / "_kernels.so")


def test_versions_and_license_agree():
    import wasm_infer
    npm = json.loads((ROOT / "web" / "package.json").read_text())
    assert wasm_infer.__version__ == PYPROJECT["project"]["version"] == npm["version"]
    assert PYPROJECT["project"]["license"] == npm["license"] == "Apache-2.0"
    text = (ROOT / "LICENSE").read_text()
    # The full standard text: all nine sections and the appendix, not a one-line notice.
    assert "Apache License\n                           Version 2.0, January 2004" in text
    assert all(f"\n   {i}. " in text for i in range(1, 10)) and "END OF TERMS AND CONDITIONS" in text
    assert "APPENDIX: How to apply the Apache License to your work." in text


def _readme_python_example():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## The Python API\n", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S)[1]


def _hermetic_env(venv):
    """No pip configuration of this machine (indexes, find-links, constraints):
    the install must succeed from the wheel and the locked wheels alone."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON", "VIRTUAL_ENV"))}
    return {**env, "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"}


def _model(path):
    """A tiny model with the README example's feed: input 1×3×224×224 → per-channel means."""
    from onnx import TensorProto, helper, save
    graph = helper.make_graph(
        [helper.make_node("GlobalAveragePool", ["input"], ["pooled"]),
         helper.make_node("Flatten", ["pooled"], ["logits"])], "readme",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 224, 224])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 3])])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))


def test_the_wheel_installs_offline_in_a_fresh_venv_and_runs_the_readme_example(built_wheel, tmp_path):
    found = {p.name.split("-")[0].lower() for p in RUNTIME_WHEELS.glob("*.whl")}
    if not {"numpy", "pillow"} <= found:
        pytest.skip(f"the locked numpy and Pillow wheels are not in {RUNTIME_WHEELS.relative_to(ROOT)} "
                    "(`python3 build.py setup` downloads them once); this test installs offline only")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True, timeout=TIMEOUT)
    py, env = venv / "bin" / "python", _hermetic_env(venv)

    def pip(*args):
        r = subprocess.run([py, "-m", "pip", *args], env=env, capture_output=True, text=True, timeout=TIMEOUT)
        assert r.returncode == 0, r.stdout + r.stderr

    pip("install", "--no-index", "--find-links", RUNTIME_WHEELS, f"{built_wheel}[vision]")
    work = tmp_path / "elsewhere"      # not the checkout: only the installed package can be imported
    work.mkdir()
    _model(work / "model.onnx")

    def python(code):
        return subprocess.run([py, "-c", code], cwd=work, env=env, capture_output=True, text=True, timeout=TIMEOUT)

    example = _readme_python_example() + "\nprint('LOGITS', logits.tolist(), wasm_infer.__file__)\n"
    r = python(example)
    assert r.returncode == 0, r.stderr
    assert "[1, 3, 224, 224]" in r.stdout and "'numpy'" in r.stdout     # get_inputs and the backend
    logits, where = re.search(r"LOGITS (\[\[.*\]\]) (\S+)", r.stdout).groups()
    assert json.loads(logits) == [[0.0, 0.0, 0.0]]
    assert Path(where).is_relative_to(venv) and not Path(where).is_relative_to(ROOT)
    r = python("import numpy as np, wasm_infer.vision as v\n"
               "x = v.imagenet_preprocess(np.full((300, 400, 3), 255, np.uint8))\n"
               "print(x.shape, x.dtype, [round(float(c), 4) for c in x[0, :, 0, 0]])")
    assert r.returncode == 0, r.stderr
    white = [round((1 - m) / s, 4) for m, s in zip((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))]
    assert r.stdout.strip() == f"(1, 3, 224, 224) float32 {white}"
    # Without the extra, wasm_infer.vision says which extra to install.
    pip("uninstall", "-y", "pillow")
    r = python("import wasm_infer\nimport wasm_infer.vision")
    assert r.returncode == 1 and "ModuleNotFoundError" in r.stderr
    assert 'pip install "wasm-infer[vision]"' in r.stderr
    assert python("import wasm_infer; print(wasm_infer.__version__)").stdout.strip() == PYPROJECT["project"]["version"]
