"""Finding, probing and loading the kernel side module; the table of its functions.

Flavours (`flavour()`): "relaxed" (`_kernels_relaxed.wasm`, built with
-mrelaxed-simd: fused multiply-add), "simd128" (`_kernels.so`, every current
browser), "numpy" (no kernels). The relaxed module is used when the engine
validates a relaxed-SIMD probe module (`WebAssembly.validate`) and it loads;
otherwise SIMD128, and `reason()` remembers why relaxed was not used. The
relaxed module is not named *.so on purpose: Pyodide's package loader
preloads every *.so of a wheel and a relaxed module fails to compile on
engines without relaxed SIMD (which would fail the whole install); it is
small (< 200 KB), so `ctypes.CDLL` compiles it synchronously, even on a
browser main thread.

Symbol table: tools/build_kernels.py writes `_kernels.json` beside the
modules, {"abi_version": N, "kernels": [names]}, one name per
kernels_wasm/*.c file (the file's name). A module is used only when its
`wasm_infer_kernels_abi_version()` and the table's version equal ABI_VERSION
and it exports every listed name; `_State.funcs` maps each name to its
ctypes function.

Environment switches (read on first use, and again after `reload()`):
  WASM_INFER_BACKEND=numpy    never load the kernels.
  WASM_INFER_KERNELS=/path    the SIMD128 module (default: `_kernels.so` in the
                              folder above this package); the relaxed one is
                              `_kernels_relaxed.wasm` in the same folder unless
  WASM_INFER_KERNELS_RELAXED=/path  says otherwise. Each module's symbol
                              table is `_kernels.json` in its folder.
  WASM_INFER_FLAVOUR=simd128  do not try the relaxed module (or =relaxed: the
                              default, relaxed when possible).
"""
import ctypes
import json
import os
import sys

ABI_VERSION = 3
RELAXED_NAME = "_kernels_relaxed.wasm"
TABLE_NAME = "_kernels.json"

# The smallest module that uses SIMD128: (func (drop (v128.const i32x4 0 0 0 0))).
_SIMD128_PROBE = bytes(
    [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00,        # magic, version 1
     0x01, 0x04, 0x01, 0x60, 0x00, 0x00,                    # type section: () -> ()
     0x03, 0x02, 0x01, 0x00,                                # function section: 1 func, type 0
     0x0A, 0x17, 0x01, 0x15, 0x00,                          # code section: 1 body, 21 bytes, no locals
     0xFD, 0x0C] + [0x00] * 16 + [                          # v128.const 0
     0x1A, 0x0B])                                           # drop, end

# (func (drop (f32x4.relaxed_madd (v128.const 0) (v128.const 0) (v128.const 0)))):
# validates only where relaxed SIMD is enabled.
_RELAXED_PROBE = bytes(
    [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00,
     0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
     0x03, 0x02, 0x01, 0x00,
     0x0A, 0x3E, 0x01, 0x3C, 0x00]                          # code section: 1 body, 60 bytes
    + [0xFD, 0x0C] + [0x00] * 16 + [0xFD, 0x0C] + [0x00] * 16 + [0xFD, 0x0C] + [0x00] * 16
    + [0xFD, 0x85, 0x02,                                    # f32x4.relaxed_madd (0xFD 0x105)
       0x1A, 0x0B])


class _State:
    loaded = False
    lib = None
    funcs = {}
    flavour = "numpy"
    reason = "not loaded yet"
    path = None


def _validates(probe):
    """Does this engine validate the wasm module `probe`? (Pyodide only.)"""
    from js import WebAssembly  # noqa: PLC0415 (only exists under Pyodide)
    from pyodide.ffi import to_js  # noqa: PLC0415
    return bool(WebAssembly.validate(to_js(probe)))


def _simd128_supported():
    return _validates(_SIMD128_PROBE)


def default_path():
    # The wheel puts the modules in wasm_infer/, the folder above this package.
    return os.environ.get("WASM_INFER_KERNELS") or os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "_kernels.so")


def relaxed_path():
    return os.environ.get("WASM_INFER_KERNELS_RELAXED") or os.path.join(
        os.path.dirname(default_path()), RELAXED_NAME)


def table_path(module_path):
    """The symbol table that goes with the module at module_path."""
    return os.path.join(os.path.dirname(module_path), TABLE_NAME)


def read_table(path):
    """The kernel names listed in the symbol table at path, or raise RuntimeError saying why not."""
    try:
        with open(path, encoding="utf-8") as f:
            table = json.load(f)
    except FileNotFoundError:
        raise RuntimeError(f"kernel symbol table not found at {path} "
                           "(tools/build_kernels.py writes it beside the module)") from None
    except (OSError, ValueError) as e:
        raise RuntimeError(f"reading the kernel symbol table {path} failed: {type(e).__name__}: {e}") from None
    names = table.get("kernels") if isinstance(table, dict) else None
    if not isinstance(names, list) or not all(isinstance(n, str) and n.isidentifier() for n in names):
        raise RuntimeError(f"{path} is not a kernel symbol table: expected "
                           '{"abi_version": N, "kernels": [names]}')
    if table.get("abi_version") != ABI_VERSION:
        raise RuntimeError(f"{path} lists kernel ABI version {table.get('abi_version')!r}, expected {ABI_VERSION}")
    return tuple(names)


def _open(path):
    """(lib, funcs) of the module at path, or raise RuntimeError saying why not."""
    if not os.path.exists(path):
        raise RuntimeError(f"kernel module not found at {path}")
    table = table_path(path)
    names = read_table(table)
    try:
        lib = ctypes.CDLL(path)
        version = lib.wasm_infer_kernels_abi_version()
    except Exception as e:  # noqa: BLE001
        raise RuntimeError(f"loading {path} failed: {type(e).__name__}: {e}") from None
    if version != ABI_VERSION:
        raise RuntimeError(f"{path} has kernel ABI version {version}, expected {ABI_VERSION}")
    funcs = {}
    for name in names:
        try:
            funcs[name] = getattr(lib, name)
        except AttributeError:
            raise RuntimeError(f"{path} lacks the kernel {name} listed in {table}") from None
    return lib, funcs


def _load():
    _State.loaded = True
    _State.lib, _State.funcs, _State.flavour = None, {}, "numpy"
    if os.environ.get("WASM_INFER_BACKEND", "").lower() == "numpy" or \
            os.environ.get("WASM_INFER_FLAVOUR", "").lower() == "numpy":
        _State.reason = "disabled by WASM_INFER_BACKEND=numpy (or WASM_INFER_FLAVOUR=numpy)"
        return
    if sys.platform != "emscripten":
        _State.reason = f"not running under Pyodide (sys.platform is {sys.platform!r})"
        return
    try:
        simd = _simd128_supported()
    except Exception as e:  # noqa: BLE001 (any failure means: no kernels)
        _State.reason = f"WebAssembly SIMD feature detection failed: {type(e).__name__}: {e}"
        return
    if not simd:
        _State.reason = "this WebAssembly engine does not support SIMD128"
        return
    why_not_relaxed = "WASM_INFER_FLAVOUR=simd128"
    if os.environ.get("WASM_INFER_FLAVOUR", "relaxed").lower() != "simd128":
        try:
            ok = _validates(_RELAXED_PROBE)
        except Exception as e:  # noqa: BLE001
            ok, why_not_relaxed = False, f"relaxed-SIMD detection failed: {type(e).__name__}: {e}"
        else:
            why_not_relaxed = "this WebAssembly engine does not support relaxed SIMD"
        if ok:
            path = relaxed_path()
            try:
                _State.lib, _State.funcs = _open(path)
            except RuntimeError as e:
                why_not_relaxed = str(e)
            else:
                _State.flavour, _State.path = "relaxed", path
                _State.reason = f"loaded {path} (relaxed SIMD)"
                return
    path = _State.path = default_path()
    try:
        _State.lib, _State.funcs = _open(path)
    except RuntimeError as e:
        _State.reason = str(e)
        return
    _State.flavour = "simd128"
    _State.reason = f"loaded {path} (SIMD128; relaxed not used: {why_not_relaxed})"


def _ensure():
    if not _State.loaded:
        _load()


def reload():
    """Forget the loaded state; the next call re-reads the environment and loads again."""
    _State.loaded = False
    _ensure()
    return available()


def available():
    """True when the SIMD kernels are loaded and callable."""
    _ensure()
    return _State.lib is not None


def flavour():
    """"relaxed" or "simd128" when the kernels are in use, else "numpy"."""
    _ensure()
    return _State.flavour


def reason():
    """Why the kernels are (not) in use, for diagnostics."""
    _ensure()
    return _State.reason


def raw(name):
    """The raw ctypes function `name` (unchecked: callers validate), or None."""
    _ensure()
    return _State.funcs.get(name)


def _func(name):
    """The ctypes function `name` for a binder, or RuntimeError saying why there is none."""
    _ensure()
    f = _State.funcs.get(name)
    if f is None:
        if _State.lib is None:
            raise RuntimeError(f"wasm_infer kernels are not available: {_State.reason}")
        raise RuntimeError(f"kernel {name} is not in the symbol table of {_State.path} "
                           f"({table_path(_State.path)}): rebuild the kernels")
    return f
