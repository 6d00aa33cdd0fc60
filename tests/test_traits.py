"""Op traits (ops/base.py: view, shape_only, layout): the ops that declare
one behave as it promises, the memory plan acts on the trait of any op
class (a made-up one included), and plan.py and the passes keep no lists
of op names. The internal domain is named in one module."""
import ast
import re
from pathlib import Path

import numpy as np
import pytest
from onnx import helper

import wasm_infer
from wasm_infer import ops
from wasm_infer.graph_runner import Context
from wasm_infer.ir import Node
from wasm_infer.ops import internal
from wasm_infer.ops.base import REGISTRY, Op, register
from wasm_infer.passes.to_nhwc import TO_NHWC, _nhwc_constant

from helpers import FLOAT, INT64

PACKAGE = Path(wasm_infer.__file__).parent


def _versions(trait, value=True):
    return [cls for versions in ops.load_all().values() for _, cls in versions if getattr(cls, trait) == value]


def _op(cls, n_inputs, attrs=None):
    node = Node(cls.op_type, [f"in{i}" for i in range(n_inputs)], ["out"], dict(attrs or {}), cls.domain, "n")
    return cls(node, Context({cls.domain: cls.since}, {}, None))


def _label(cls):
    return f"{cls.op_type}-{cls.since}"


# --- the ops that must declare a trait, in every registered version --------

@pytest.mark.parametrize("op_type", ["Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity"])
def test_view_ops_declare_it(op_type):
    assert all(cls.view for _, cls in ops.load_all()[("", op_type)])


@pytest.mark.parametrize("op_type", ["Shape", "Size"])
def test_shape_only_ops_declare_it(op_type):
    assert all(cls.shape_only for _, cls in ops.load_all()[("", op_type)])


@pytest.mark.parametrize("op_type,layout", [
    *[(t, "elementwise_unary") for t in ("Relu", "Clip", "Sigmoid", "HardSwish", "HardSigmoid", "Tanh", "LeakyRelu",
                                        "Elu", "Selu", "Neg", "Abs", "Exp", "Sqrt", "Softplus", "Identity", "Erf",
                                        "Gelu", "Mish", "Swish")],
    *[(t, "elementwise_binary") for t in ("Add", "Sub", "Mul", "Div", "Max", "Min", "PRelu")]])
def test_layout_agnostic_ops_declare_it(op_type, layout):
    """The ops to_nhwc has always run inside NHWC regions keep doing so."""
    assert all(cls.layout == layout for _, cls in ops.load_all()[("", op_type)])


# --- every op that declares a trait behaves as it promises ------------------

VIEW_CASES = {   # (op_type, since) -> (input shape, further inputs, attributes)
    ("Reshape", 5): ((2, 3, 4), [np.array([4, -1], np.int64)], {}),
    ("Flatten", 1): ((2, 3, 4), [], {"axis": 2}),
    ("Squeeze", 1): ((2, 1, 4), [], {"axes": [1]}),
    ("Squeeze", 13): ((2, 1, 4), [np.array([1], np.int64)], {}),
    ("Unsqueeze", 1): ((2, 3, 4), [], {"axes": [0, 3]}),
    ("Unsqueeze", 13): ((2, 3, 4), [np.array([0, 3], np.int64)], {}),
    ("Identity", 1): ((2, 3, 4), [], {}),
}


@pytest.mark.parametrize("cls", _versions("view"), ids=_label)
def test_a_view_is_its_input_memory_reshaped(cls):
    assert (cls.op_type, cls.since) in VIEW_CASES, f"{_label(cls)} declares view: add a case here"
    shape, more, attrs = VIEW_CASES[cls.op_type, cls.since]
    x = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    (y,) = _op(cls, 1 + len(more), attrs).run(x, *more)
    assert np.shares_memory(y, x) and y.flags.c_contiguous
    np.testing.assert_array_equal(y.reshape(-1), x.reshape(-1))


@pytest.mark.parametrize("cls", _versions("shape_only"), ids=_label)
def test_shape_only_outputs_ignore_the_values(cls):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3, 4)).astype(np.float32), np.zeros((2, 3, 4), np.float32)
    op = _op(cls, 1)
    np.testing.assert_array_equal(op.run(a)[0], op.run(b)[0])
    assert not np.array_equal(op.run(a)[0], op.run(a[:1])[0])   # ... but not the shape


def _nhwc(x):
    return np.ascontiguousarray(x.transpose(TO_NHWC))


@pytest.mark.parametrize("cls", _versions("layout", "elementwise_unary"), ids=_label)
def test_elementwise_unary_ops_commute_with_the_layout(cls):
    x = 3 * np.random.default_rng(1).standard_normal((2, 3, 4, 5)).astype(np.float32)
    op = _op(cls, 1)
    with np.errstate(invalid="ignore"):     # Sqrt of the negative half: NaN in both layouts
        (y,), (y_nhwc,) = op.run(x), op.run(_nhwc(x))
    np.testing.assert_array_equal(y_nhwc, _nhwc(y))


@pytest.mark.parametrize("cls", _versions("layout", "elementwise_binary"), ids=_label)
def test_elementwise_binary_ops_commute_with_the_layout(cls):
    """As to_nhwc runs them: both operands NHWC, or one a constant permuted by the pass
    (here per channel, [C, 1, 1], which broadcasts to x, unidirectionally as PRelu's slope)."""
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((2, 2, 3, 4, 5)).astype(np.float32)
    c = rng.uniform(0.5, 1.5, (3, 1, 1)).astype(np.float32)
    op = _op(cls, 2)
    for x, y, y_nhwc in ((a, b, _nhwc(b)), (a, c, _nhwc_constant(c))):
        np.testing.assert_array_equal(op.run(_nhwc(x), y_nhwc)[0], _nhwc(op.run(x, y)[0]))


# --- the plan reads the traits of any op class -----------------------------

TEST_DOMAIN = "test.traits"


def _made_up_model():
    nodes = [helper.make_node("Relu", ["x"], ["r"]),
             helper.make_node("Fold", ["r"], ["v"], domain=TEST_DOMAIN),     # [2, 3, 4] -> [2, 12]
             helper.make_node("Relu", ["v"], ["y"]),
             helper.make_node("Dims", ["r"], ["s"], domain=TEST_DOMAIN)]     # the shape of r
    graph = helper.make_graph(nodes, "traits", [helper.make_tensor_value_info("x", FLOAT, [2, 3, 4])],
                              [helper.make_tensor_value_info("y", FLOAT, None),
                               helper.make_tensor_value_info("s", INT64, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid(TEST_DOMAIN, 1)])
    model.ir_version = 8
    return model.SerializeToString()


@pytest.mark.parametrize("with_traits", [True, False])
def test_the_plan_reads_the_traits_of_a_made_up_op(with_traits, monkeypatch):
    class Fold(Op):
        view = with_traits

        def run(self, x):
            return (x.reshape(x.shape[0], -1),)

    class Dims(Op):
        shape_only = with_traits

        def run(self, x):
            return (np.array(x.shape, np.int64),)

    for op_type, cls in (("Fold", Fold), ("Dims", Dims)):
        monkeypatch.setitem(REGISTRY, (TEST_DOMAIN, op_type), [])   # gone after the test
        register(op_type, since=1, domain=TEST_DOMAIN)(cls)
    monkeypatch.setenv("WASM_INFER_PLAN", "strict")
    sess = wasm_infer.InferenceSession(_made_up_model())
    x = np.random.default_rng(3).standard_normal((2, 3, 4)).astype(np.float32)
    for _ in range(3):          # the first run records and plans, the others run the plan
        y, s = sess.run(None, {"x": x})
        np.testing.assert_array_equal(y, np.maximum(x, 0).reshape(2, 12))
        np.testing.assert_array_equal(s, [2, 3, 4])
    (p,) = sess._plans.values()
    steps = [(op.op_type, how) for op, how in zip(p.where, p.kinds)]
    if with_traits:             # a view of r's memory and a value fixed per signature: no step left
        assert steps == [("Relu", "bound"), ("Relu", "bound")]
        assert np.shares_memory(p.env["v"], p.env["r"])
    else:
        assert steps == [("Relu", "bound"), ("Fold", "numpy"), ("Relu", "bound"), ("Dims", "numpy")]


# --- no op-name lists where traits belong; one internal domain -------------

def _op_name_lists(path, names):
    """(line, op names) of every set/list/tuple literal naming three or more ops."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, (ast.Set, ast.List, ast.Tuple)):
            found = [e.value for e in node.elts if isinstance(e, ast.Constant) and e.value in names]
            if len(found) >= 3:
                yield node.lineno, found


def test_plan_and_passes_read_traits_not_op_name_lists():
    names = {op_type for _, op_type in ops.load_all()}
    files = [PACKAGE / "plan.py", *sorted((PACKAGE / "passes").glob("*.py"))]
    bad = [f"{f.relative_to(PACKAGE.parent)}:{line}: {found}"
           for f in files for line, found in _op_name_lists(f, names)]
    bad += [f"{f.relative_to(PACKAGE.parent)}: {m.group()}" for f in files
            for m in re.finditer(r"\b(VIEW_OPS|SHAPE_OPS|UNARY|BINARY)\b", f.read_text())]
    assert not bad, "an op-name list where an op trait (ops/base.py) belongs:\n" + "\n".join(bad)


def test_the_internal_domain_is_defined_once_and_documents_its_ops():
    registered = {op_type for domain, op_type in ops.load_all() if domain == internal.DOMAIN}
    assert registered == set(internal.OPS)
    own = PACKAGE / "ops" / "internal.py"
    bad = [str(f.relative_to(PACKAGE.parent)) for f in sorted(PACKAGE.rglob("*.py"))
           if f != own and re.search(r"^DOMAIN\s*=", f.read_text(), re.M)]
    bad += [str(f.relative_to(PACKAGE.parent)) for d in ("ops", "passes") for f in sorted((PACKAGE / d).glob("*.py"))
            if f != own and internal.DOMAIN in f.read_text()]
    assert not bad, f"import DOMAIN from wasm_infer/ops/internal.py instead: {bad}"


def test_each_op_module_is_named_after_the_one_op_type_it_registers():
    """ops/__init__.py imports an op's module only when a model needs the op,
    finding it by file name: op_qlinear_matmul.py registers QLinearMatMul."""
    by_module = {}
    for (domain, op_type), versions in ops.load_all().items():
        for _, cls in versions:
            by_module.setdefault(cls.__module__.rsplit(".", 1)[1], set()).add((domain, op_type))
    assert set(by_module) == set(ops.module_names().values())
    several = {m: k for m, k in by_module.items() if len(k) > 1}
    assert not several, f"op modules that register more than one op type: {several}"
    misnamed = {m: op_type for m, [(_, op_type)] in by_module.items() if ops.module_names().get(op_type.lower()) != m}
    assert not misnamed, f"op modules not named after their op type (op_<snake_case>.py): {misnamed}"


def test_a_session_imports_only_the_op_modules_its_model_uses(tmp_path):
    """In a fresh interpreter: loading a model of Relu and Add imports op_relu
    and op_add, and none of the other op modules (the first run may import a
    few more: kernel lowerings import the ops they bind); an op no module is named after
    still gets its clear error (after looking in every module)."""
    import subprocess
    import sys
    from onnx import TensorProto, save
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Add", ["r", "x"], ["y"])],
                              "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(tmp_path / "m.onnx"))
    bad = helper.make_graph([helper.make_node("NoSuchOp", ["x"], ["y"])], "g",
                            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    save(helper.make_model(bad, opset_imports=[helper.make_opsetid("", 17)]), str(tmp_path / "bad.onnx"))
    script = f"""
import sys, numpy as np, wasm_infer
sess = wasm_infer.InferenceSession({str(tmp_path / "m.onnx")!r})
imported = sorted(m.rsplit(".", 1)[1] for m in sys.modules if m.startswith("wasm_infer.ops.op_"))
print(sess.run(None, {{"x": np.array([-1.0, 2.0], np.float32)}})[0].tolist())
print(imported)
try:
    wasm_infer.InferenceSession({str(tmp_path / "bad.onnx")!r})
except wasm_infer.UnsupportedError as e:
    print(e)
print(len([m for m in sys.modules if m.startswith("wasm_infer.ops.op_")]))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                         cwd=PACKAGE.parent, env={**__import__("os").environ, "WASM_INFER_BACKEND": "numpy"})
    assert out.returncode == 0, out.stderr
    result, imported, error, after = out.stdout.strip().splitlines()
    assert result == "[-1.0, 4.0]"
    assert eval(imported) == ["op_add", "op_relu"]
    assert "op 'NoSuchOp' (domain 'ai.onnx', opset 17) is not implemented" in error
    assert int(after) == len(ops.module_names())
