"""Compile kernels_wasm/*.c into the wasm side modules `_kernels.so` (SIMD128) and,
with --relaxed, `_kernels_relaxed.wasm` (relaxed SIMD: -mrelaxed-simd, where
wi_madd in kernels.h becomes f32x4.relaxed_madd).

clang + wasm-ld come from the PyPI package `ziglang` (run as
`sys.executable -m ziglang cc`), so nothing outside pip is needed. The output
is a wasm32 shared library with a `dylink.0` section that Pyodide's dynamic
linker loads with `ctypes.CDLL`. Sources are compiled with
-fvisibility=hidden: exactly the functions marked WI_EXPORT are exported, one
per source file, named like the file. After linking, the module's sections are
read back to check that (exports and imports) so a broken build fails here,
not inside Pyodide.

Beside the module it writes the symbol table `_kernels.json`,
{"abi_version": N, "kernels": [names]}: the ABI version from kernels.h and
every exported kernel (one per source file, the ABI-version function aside),
which wasm_infer.kernels reads to find its functions. The wheel ships it.

A rebuild is skipped when a hash of the sources, headers and flags equals the
one stored beside the output (`<out>.hash`); the table is rewritten when it
differs.

CLI: python -m tools.build_kernels [--out build/kernels/_kernels.so] [--relaxed] [--force]
     (--relaxed without --out writes build/kernels/_kernels_relaxed.wasm)
"""
import argparse
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC_DIR = ROOT / "kernels_wasm"

BASE_FLAGS = (
    "--target=wasm32-freestanding", "-O3", "-msimd128", "-fPIC", "-nostdlib", "-g0",
    "-shared", "-Wl,--no-entry", "-fvisibility=hidden", "-ffreestanding", "-fno-builtin",
    "-std=c11", "-Wall", "-Wextra", "-Werror",
)
RELAXED_FLAGS = ("-mrelaxed-simd",)
# Imports a freestanding side module may have: the shared memory, the shared
# function table, and the globals the dynamic linker gives every side module.
ALLOWED_IMPORTS = {"memory", "__indirect_function_table", "__stack_pointer",
                   "__memory_base", "__table_base"}
# Exports wasm-ld adds to every shared library besides ours.
LINKER_EXPORTS = {"__wasm_call_ctors", "__wasm_apply_data_relocs"}
ABI_FUNCTION = "wasm_infer_kernels_abi_version"
TABLE_NAME = "_kernels.json"


class BuildError(RuntimeError):
    pass


def sources(src_dir=SRC_DIR):
    return sorted(src_dir.glob("*.c"))


def expected_exports(src_dir=SRC_DIR):
    """One exported function per source file, named after the file."""
    return {p.stem for p in sources(src_dir)}


def abi_version(src_dir=SRC_DIR):
    """WI_KERNELS_ABI_VERSION as kernels.h defines it."""
    found = re.search(r"^#define WI_KERNELS_ABI_VERSION (\d+)\b", (src_dir / "kernels.h").read_text(), re.M)
    if not found:
        raise BuildError(f"{src_dir / 'kernels.h'} does not #define WI_KERNELS_ABI_VERSION")
    return int(found.group(1))


def symbol_table(src_dir=SRC_DIR):
    """The symbol table of a module built from src_dir: {"abi_version": N, "kernels": [names]}."""
    if not (src_dir / f"{ABI_FUNCTION}.c").exists():
        raise BuildError(f"{src_dir} has no {ABI_FUNCTION}.c")
    return {"abi_version": abi_version(src_dir), "kernels": sorted(expected_exports(src_dir) - {ABI_FUNCTION})}


def write_table(out_dir, src_dir=SRC_DIR):
    """Write the symbol table into out_dir (unless it is already there, unchanged). Returns its path."""
    path = Path(out_dir) / TABLE_NAME
    text = json.dumps(symbol_table(src_dir), indent=1) + "\n"
    if not path.exists() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return path


def flags(relaxed=False):
    return list(BASE_FLAGS) + (list(RELAXED_FLAGS) if relaxed else [])


def source_hash(relaxed=False, src_dir=SRC_DIR):
    h = hashlib.sha256()
    h.update(repr(flags(relaxed)).encode())
    for p in sorted(src_dir.glob("*.[ch]")):
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


# ---- reading the built module back -------------------------------------------

def _uleb(data, pos):
    result = shift = 0
    while True:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return result, pos


def _name(data, pos):
    n, pos = _uleb(data, pos)
    return data[pos:pos + n].decode("utf-8"), pos + n


def read_module(data):
    """Return {"custom": [names], "imports": [(module, name, kind)], "exports": {name: kind}}
    of a wasm binary (kind: 0 func, 1 table, 2 memory, 3 global)."""
    if data[:8] != b"\0asm\x01\0\0\0":
        raise BuildError("not a wasm module (bad magic/version)")
    pos, info = 8, {"custom": [], "imports": [], "exports": {}}
    while pos < len(data):
        sid = data[pos]
        size, body = _uleb(data, pos + 1)
        end = body + size
        if sid == 0:
            info["custom"].append(_name(data, body)[0])
        elif sid == 2:
            count, p = _uleb(data, body)
            for _ in range(count):
                mod, p = _name(data, p)
                name, p = _name(data, p)
                kind = data[p]
                p += 1
                if kind == 0:  # func: type index
                    _, p = _uleb(data, p)
                elif kind == 1:  # table: reftype, limits
                    p += 1
                    flag = data[p]
                    _, p = _uleb(data, p + 1)
                    if flag & 1:
                        _, p = _uleb(data, p)
                elif kind == 2:  # memory: limits
                    flag = data[p]
                    _, p = _uleb(data, p + 1)
                    if flag & 1:
                        _, p = _uleb(data, p)
                elif kind == 3:  # global: valtype, mutability
                    p += 2
                else:
                    raise BuildError(f"unknown import kind {kind}")
                info["imports"].append((mod, name, kind))
        elif sid == 7:
            count, p = _uleb(data, body)
            for _ in range(count):
                name, p = _name(data, p)
                kind = data[p]
                _, p = _uleb(data, p + 1)
                info["exports"][name] = kind
        pos = end
    return info


def check_module(path, src_dir=SRC_DIR):
    """Raise BuildError unless `path` is a side module exporting exactly our kernels."""
    info = read_module(Path(path).read_bytes())
    problems = []
    if "dylink.0" not in info["custom"]:
        problems.append("no dylink.0 section (not a side module)")
    funcs = {n for n, k in info["exports"].items() if k == 0} - LINKER_EXPORTS
    want = expected_exports(src_dir)
    if want - funcs:
        problems.append(f"functions not exported: {sorted(want - funcs)} "
                        "(mark them WI_EXPORT; one exported function per file, named like the file)")
    if funcs - want:
        problems.append(f"unexpected exported functions: {sorted(funcs - want)} "
                        "(helpers must be static or WI_HIDDEN)")
    bad = [f"{m}.{n}" for m, n, _ in info["imports"] if n not in ALLOWED_IMPORTS]
    if bad:
        problems.append(f"unexpected imports {bad} (kernels are freestanding: no libc calls; "
                        "clang may turn loops into memset/memcpy)")
    if problems:
        raise BuildError(f"{path}: " + "; ".join(problems))
    return info


# ---- building ----------------------------------------------------------------

def build(out_path, relaxed=False, force=False, src_dir=SRC_DIR, verbose=False):
    """Build the side module at out_path unless it is up to date, and write the
    symbol table beside it. Returns out_path."""
    out = Path(out_path)
    stamp = out.with_name(out.name + ".hash")
    digest = source_hash(relaxed, src_dir)
    if not force and out.exists() and stamp.exists() and stamp.read_text().strip() == digest:
        write_table(out.parent, src_dir)
        if verbose:
            print(f"{out}: up to date")
        return out
    srcs = sources(src_dir)
    if not srcs:
        raise BuildError(f"no C sources in {src_dir}")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    cmd = [sys.executable, "-m", "ziglang", "cc", *flags(relaxed),
           f"-I{src_dir}", *map(str, srcs), "-o", str(tmp)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    # wasm-ld always warns that -shared is experimental; it works: the module it links is
    # the one tests/node/ load into Pyodide and check.
    noise = "creating shared libraries, with -shared, is not yet stable"
    stderr = "\n".join(l for l in proc.stderr.splitlines() if noise not in l).strip()
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise BuildError(f"compiling the kernels failed (exit {proc.returncode}):\n"
                         f"$ {' '.join(cmd)}\n{stderr}")
    if stderr and verbose:
        print(stderr, file=sys.stderr)
    try:
        check_module(tmp, src_dir)
    except BuildError:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(out)
    stamp.write_text(digest + "\n")
    write_table(out.parent, src_dir)
    if verbose:
        print(f"{out}: built ({out.stat().st_size} bytes, {len(srcs)} sources"
              f"{', relaxed SIMD' if relaxed else ''})")
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=None)
    ap.add_argument("--relaxed", action="store_true", help="also enable relaxed SIMD (-mrelaxed-simd)")
    ap.add_argument("--force", action="store_true", help="rebuild even if up to date")
    args = ap.parse_args(argv)
    try:
        out = args.out or str(ROOT / "build" / "kernels" /
                              ("_kernels_relaxed.wasm" if args.relaxed else "_kernels.so"))
        build(out, relaxed=args.relaxed, force=args.force, verbose=True)
    except BuildError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
