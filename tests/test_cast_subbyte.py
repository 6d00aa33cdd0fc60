"""Cast and CastLike to INT4, UINT4, INT2, UINT2 against values derived by
hand from the rule docs/CONFORMANCE.md documents (no ml_dtypes involved, so a
library release cannot move them): a float is truncated toward zero, NaN and
+-inf give 0, and the integer keeps its low 4 (2) bits, two's complement for
the signed types. Worked example, INT4 of -20.0: -20 = -2*16 + 12, low bits
12 = 0b1100, as a signed nibble 12 - 16 = -4."""
import numpy as np
import pytest
from onnx import TensorProto, helper

import wasm_infer
from wasm_infer import dtypes

TARGETS = [("int4", TensorProto.INT4, dtypes.INT4), ("uint4", TensorProto.UINT4, dtypes.UINT4),
           ("int2", TensorProto.INT2, dtypes.INT2), ("uint2", TensorProto.UINT2, dtypes.UINT2)]

# x: (int4, uint4, int2, uint2)
FLOAT32 = [
    (0.0, (0, 0, 0, 0)), (-0.0, (0, 0, 0, 0)),
    (0.9, (0, 0, 0, 0)), (-0.9, (0, 0, 0, 0)),            # truncation toward zero
    (1.5, (1, 1, 1, 1)), (-1.5, (-1, 15, -1, 3)),
    (2.7, (2, 2, -2, 2)), (-2.7, (-2, 14, -2, 2)),        # 2 is out of INT2's range: 0b10 = -2
    (7.0, (7, 7, -1, 3)), (7.9, (7, 7, -1, 3)),
    (8.0, (-8, 8, 0, 0)), (-8.0, (-8, 8, 0, 0)),
    (-9.0, (7, 7, -1, 3)), (15.0, (-1, 15, -1, 3)),
    (16.0, (0, 0, 0, 0)), (17.5, (1, 1, 1, 1)),
    (-20.0, (-4, 12, 0, 0)), (100.0, (4, 4, 0, 0)),       # 100 = 6*16 + 4 = 25*4 + 0
    (1e10, (0, 0, 0, 0)),                                 # 10**10 = 625000000 * 16, exact in float32
    (3.4028234663852886e38, (0, 0, 0, 0)),                # FLT_MAX = (2**24 - 1) * 2**104
    (float("nan"), (0, 0, 0, 0)), (float("inf"), (0, 0, 0, 0)), (float("-inf"), (0, 0, 0, 0)),
]
FLOAT64 = [
    (2147483651.0, (3, 3, -1, 3)),                        # 2**31 + 3: past int32
    (4503599627370501.0, (5, 5, 1, 1)),                   # 2**52 + 5
    (-4503599627370501.0, (-5, 11, -1, 3)),               # -(2**52 + 5) = -(2**48 + 1)*16 + 11
    (1e300, (0, 0, 0, 0)),                                # a multiple of 2**900
]
FLOAT16 = [(65504.0, (0, 0, 0, 0)), (-9.5, (7, 7, -1, 3)), (3.75, (3, 3, -1, 3))]
INT32 = [(200, (-8, 8, 0, 0)), (-1, (-1, 15, -1, 3)), (2147483647, (-1, 15, -1, 3)), (-2147483648, (0, 0, 0, 0))]
UINT64 = [(2 ** 64 - 1, (-1, 15, -1, 3)), (2 ** 63 + 9, (-7, 9, 1, 1))]
BOOL = [(False, (0, 0, 0, 0)), (True, (1, 1, 1, 1))]

SOURCES = [(np.float32, TensorProto.FLOAT, FLOAT32), (np.float64, TensorProto.DOUBLE, FLOAT64),
           (np.float16, TensorProto.FLOAT16, FLOAT16), (np.int32, TensorProto.INT32, INT32),
           (np.uint64, TensorProto.UINT64, UINT64), (np.bool_, TensorProto.BOOL, BOOL)]


def _model(src_type, dst_type, n, like):
    if like:
        node = helper.make_node("CastLike", ["x", "like"], ["y"])
        inputs = [helper.make_tensor_value_info("x", src_type, [n]), helper.make_tensor_value_info("like", dst_type, [0])]
    else:
        node = helper.make_node("Cast", ["x"], ["y"], to=dst_type)
        inputs = [helper.make_tensor_value_info("x", src_type, [n])]
    graph = helper.make_graph([node], "cast", inputs, [helper.make_tensor_value_info("y", dst_type, [n])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 25)])   # INT2/UINT2: opset 25
    model.ir_version = 11
    return model.SerializeToString()


@pytest.mark.parametrize("like", [False, True], ids=["Cast", "CastLike"])
@pytest.mark.parametrize("column, target", [(i, t) for i, t in enumerate(TARGETS)], ids=[t[0] for t in TARGETS])
@pytest.mark.parametrize("np_type, src_type, table", SOURCES, ids=[s[0].__name__ for s in SOURCES])
def test_cast_to_subbyte_int_matches_hand_derived_values(np_type, src_type, table, column, target, like):
    _, dst_type, elem = target
    x = np.array([v for v, _ in table], dtype=np_type)
    want = np.array([row[column] for _, row in table], dtype=np.int64)
    feeds = {"x": x}
    if like:
        feeds["like"] = dtypes.wrap(np.zeros(0, np.int64), elem)
    sess = wasm_infer.InferenceSession(_model(src_type, dst_type, len(x), like), backend="numpy")
    (y,) = sess.run(None, feeds)
    assert y.dtype.name == dtypes.ml_dtypes_name(elem)    # natively an ml_dtypes array, as onnx.reference gives
    np.testing.assert_array_equal(y.astype(np.int64), want)


def test_cast_back_to_float_reads_the_stored_values():
    """INT4 -> FLOAT gives the integers the table stores (the decode side of the same rule)."""
    graph = helper.make_graph([helper.make_node("Cast", ["x"], ["q"], to=TensorProto.INT4),
                               helper.make_node("Cast", ["q"], ["y"], to=TensorProto.FLOAT)], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    sess = wasm_infer.InferenceSession(model.SerializeToString(), backend="numpy")
    (y,) = sess.run(None, {"x": np.array([-9.0, 8.0, 15.0, -20.0], np.float32)})
    np.testing.assert_array_equal(y, [7.0, -8.0, -1.0, -4.0])
