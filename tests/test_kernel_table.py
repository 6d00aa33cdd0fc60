"""The kernels package natively: its generated symbol table (written by
tools/build_kernels.py, shipped in the wheel, read by the loader) and its
independence from the rest of wasm_infer. Loading the module itself needs
Pyodide: tests/node/kernels.test.mjs."""
import importlib
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tools import build_kernels, wheel
from wasm_infer import kernels

ROOT = Path(__file__).resolve().parent.parent


def test_the_table_lists_one_kernel_per_source_file_and_the_abi_of_kernels_h():
    table = build_kernels.symbol_table()
    stems = sorted(p.stem for p in (ROOT / "kernels_wasm").glob("*.c"))
    assert table["kernels"] == [s for s in stems if s != "wasm_infer_kernels_abi_version"]
    header = (ROOT / "kernels_wasm" / "kernels.h").read_text()
    assert f"#define WI_KERNELS_ABI_VERSION {table['abi_version']}\n" in header
    assert table["abi_version"] == kernels.ABI_VERSION
    # every kernel a binder calls by name is in the table
    names = set()
    for path in (ROOT / "wasm_infer" / "kernels").glob("*.py"):
        names |= set(re.findall(r'"(f32_\w+__wasm\w+)"', path.read_text()))
    assert names and names <= set(table["kernels"]), names - set(table["kernels"])


def test_the_loader_reads_what_the_build_writes(tmp_path):
    path = build_kernels.write_table(tmp_path)
    assert path.name == kernels.TABLE_NAME
    assert kernels.table_path(str(tmp_path / "_kernels.so")) == str(path)
    assert list(kernels.read_table(str(path))) == build_kernels.symbol_table()["kernels"]


@pytest.mark.parametrize("text, message", [
    (None, "kernel symbol table not found at"),
    ("{not json", "reading the kernel symbol table"),
    ('{"abi_version": 3, "kernels": "f32_x"}', "is not a kernel symbol table"),
    ('{"abi_version": 3, "kernels": ["f32 x"]}', "is not a kernel symbol table"),
    ('{"abi_version": 2, "kernels": ["f32_x"]}', "lists kernel ABI version 2, expected 3"),
])
def test_a_bad_table_is_refused_with_its_path(tmp_path, text, message):
    path = tmp_path / "_kernels.json"
    if text is not None:
        path.write_text(text)
    with pytest.raises(RuntimeError, match=re.escape(message)) as err:
        kernels.read_table(str(path))
    assert str(path) in str(err.value)


def test_the_wheel_ships_the_table_beside_the_modules_and_the_whole_package(tmp_path):
    built = tmp_path / "kernels"
    built.mkdir()
    (built / "_kernels.so").write_bytes(b"simd128 module")
    (built / "_kernels_relaxed.wasm").write_bytes(b"relaxed module")
    build_kernels.write_table(built)
    whl = wheel.build(ROOT, tmp_path / "dist", built / "_kernels.so")
    with zipfile.ZipFile(whl) as zf:
        names = set(zf.namelist())
        assert json.loads(zf.read("wasm_infer/_kernels.json")) == build_kernels.symbol_table()
        record = zf.read(next(n for n in names if n.endswith(".dist-info/RECORD"))).decode()
    package = {f"wasm_infer/kernels/{p.name}" for p in (ROOT / "wasm_infer" / "kernels").glob("*.py")}
    assert {"wasm_infer/kernels/__init__.py", "wasm_infer/kernels/loader.py"} <= package <= names
    assert {"wasm_infer/_kernels.so", "wasm_infer/_kernels_relaxed.wasm"} <= names
    assert "wasm_infer/_kernels.json,sha256=" in record
    assert not any(n.startswith("wasm_infer/kernels.py") for n in names)


def test_the_package_loads_on_its_own_under_another_name(tmp_path):
    shutil.copytree(ROOT / "wasm_infer" / "kernels", tmp_path / "wi_kernels",
                    ignore=shutil.ignore_patterns("__pycache__"))
    code = ("import sys; import wi_kernels as K; "
            "print(sorted(m for m in sys.modules if m.startswith('wasm_infer')), K.available(), K.reason())")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.startswith("[] False not running under Pyodide"), out.stdout + out.stderr


def test_no_public_name_hides_a_module_of_the_package():
    """`import wasm_infer.kernels.<module> as m` must give the module, not a function of that name."""
    for path in (ROOT / "wasm_infer" / "kernels").glob("*.py"):
        if path.stem != "__init__":
            module = importlib.import_module(f"wasm_infer.kernels.{path.stem}")
            assert getattr(kernels, path.stem) is module, path.stem
