"""Op registry. Each `op_*.py` module in this package registers one op type,
all its versions, with `@register(op_type, since)`; modules are discovered by
file name, so there is no import list to keep. For a model, the newest version
whose `since` is ≤ the model's opset for the op's domain is picked (as in
tinygrad and onnx.reference).

A module is imported when a model first needs its op: the module of op type
`QLinearMatMul` is `op_qlinear_matmul.py` (its name without `op_` and
underscores is the op type in lower case; tests/test_traits.py checks that
every op's module is named so). A model of a dozen op types then imports a
dozen of the 230-odd modules, not all of them: in Pyodide, whose file system
is in memory, every import compiles the module from source again at every
page load. An op type no module is named after loads them all, to find it
or to say it is not implemented.

`record_executions()` (for the test suite's op coverage) makes every
registered implementation note when it runs; until it is called nothing is
wrapped, so a normal session pays nothing."""
import functools
import importlib
import pkgutil

from ..errors import UnsupportedError
from .base import Op, REGISTRY, register  # noqa: F401

_loaded = False


_modules = None     # op type in lower case -> the name of the module that registers it


def module_names():
    """{op type in lower case: op module name}, from the file names alone."""
    global _modules
    if _modules is None:
        _modules = {mod.name[3:].replace("_", ""): mod.name for mod in pkgutil.iter_modules(__path__)
                    if mod.name.startswith("op_")}
    return _modules


def load_all():
    global _loaded
    if not _loaded:
        for name in module_names().values():
            importlib.import_module(f"{__name__}.{name}")
        _loaded = True
    return REGISTRY


def _versions(domain, op_type):
    """Every registered version of (domain, op_type), importing only its own
    module when the file names point to one; None if nothing registers it."""
    versions = REGISTRY.get((domain, op_type))
    if versions is None and not _loaded:
        name = module_names().get(op_type.lower())
        if name is not None:
            importlib.import_module(f"{__name__}.{name}")
            versions = REGISTRY.get((domain, op_type))
        if versions is None:
            versions = load_all().get((domain, op_type))
    return versions


def resolve(op_type, domain, opset, node_name="", inside=""):
    """The Op class for `op_type` in `domain` at `opset`, or UnsupportedError
    (naming the node and, for subgraphs and functions, where it sits)."""
    versions = _versions(domain, op_type)
    if versions:
        for since, cls in reversed(versions):
            if since <= opset:
                return cls
    # Only now the message's parts: resolve runs per node at every load.
    where = f"node {node_name!r}{' in ' + inside if inside else ''}: " if node_name or inside else ""
    shown = domain or "ai.onnx"
    if not versions:
        raise UnsupportedError(f"{where}op {op_type!r} (domain {shown!r}, opset {opset}) is not implemented")
    raise UnsupportedError(f"{where}op {op_type!r} (domain {shown!r}) is implemented from opset "
                           f"{versions[0][0]}, the model uses opset {opset}")


_executed = None   # {(domain, op_type, since)} once record_executions() was called


def record_executions():
    """Start recording which implementations run: wraps `run` of every
    registered class with a recorder of (domain, op_type, since) of the
    instance's class. Returns the live set (idempotent). Wraps the classes in
    place, so call it before sessions are made (their plans keep bound methods)."""
    global _executed
    if _executed is None:
        _executed = set()
        for versions in load_all().values():
            for _, cls in versions:
                cls.run = _recording(cls.run)
    return _executed


def _recording(fn):
    @functools.wraps(fn)
    def wrapper(self, *args):
        cls = type(self)   # a subclass inherits its parent's wrapper: record the class that ran
        _executed.add((cls.domain, cls.op_type, cls.since))
        return fn(self, *args)
    return wrapper


def implementations():
    """Every registered implementation as (domain, op_type, since)."""
    return {(domain, op_type, since) for (domain, op_type), versions in load_all().items() for since, _ in versions}
