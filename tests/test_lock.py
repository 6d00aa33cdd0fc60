"""Locked host dependencies (build.py, tools/fetch.py): the lock pins every
package with hashes, the test environment is exactly the lock, and files
taken from PyPI without installing them are checked against locked hashes."""
import importlib.util
import re

import pytest

from conftest import ROOT
from tools import fetch

spec = importlib.util.spec_from_file_location("build_script", ROOT / "build.py")
build = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build)


def test_every_locked_package_has_an_exact_version_and_hashes():
    text = build.LOCK.read_text()
    pins = build.locked_pins()
    assert len(pins) > 50 and pins["ml-dtypes"][1] == "0.6.0"    # the pin the Cast int4 expectations need
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    for block in blocks:
        if block.strip() and not block.startswith("#"):
            assert "==" in block.split()[0] and "--hash=sha256:" in block, block.splitlines()[0]
    direct = {fetch.normalize(line.split("==")[0]) for line in build.REQUIREMENTS.read_text().splitlines()
              if "==" in line and not line.startswith("#")}
    assert direct <= set(pins), f"in requirements-dev.in but not locked: {direct - set(pins)}"
    assert all(pin[3] for pin in pins.values())


def test_this_environment_is_exactly_the_lock():
    assert build.venv_differences() == []


def test_a_download_must_be_locked_and_match_its_hash(tmp_path):
    with pytest.raises(LookupError, match=r"comm==9\.9\.9 is not in downloads.txt: add it to tools/downloads.in"):
        fetch.pip_download("comm==9.9.9", tmp_path)
    wheel = fetch.pip_download("comm==0.2.2", tmp_path)
    good = fetch.sha256(wheel)
    assert good in fetch.locked_hashes("comm==0.2.2")
    wheel.write_bytes(b"not the locked file")       # a corrupt or replaced cache entry
    again = fetch.pip_download("comm==0.2.2", tmp_path)
    assert fetch.sha256(again) == good


def test_a_package_locked_for_two_ranges_of_python_is_installed_at_the_version_for_this_one():
    import sys
    from importlib import metadata
    scipy = [e for e in fetch.read_lock_entries(build.LOCK.read_text()) if fetch.normalize(e[0]) == "scipy"]
    assert len(scipy) == 2 and all(e[2] and e[3] for e in scipy), scipy      # two versions, each with its marker
    want = next(e[1] for e in scipy if ("<" in e[2]) == (sys.version_info < (3, 12)))
    assert metadata.version("scipy") == want         # was uninstalled as "not in the lock" when one entry hid the other
