"""Hardened loading (issue 7): sizes checked before allocating, memory limits,
external data confined to the model's directory, and no exception but
WasmInferError out of a session."""
import os
import time

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import wasm_infer
from wasm_infer import InputError, ModelError, ResourceError, ir, onnx_proto, onnx_schema, tensor

from fuzzing import encode_varint as _varint
from helpers import FLOAT, make_model


def _tensor_model(t, op="Identity"):
    graph = helper.make_graph([helper.make_node(op, ["w"], ["y"])], "g", [],
                              [helper.make_tensor_value_info("y", t.data_type, None)], [t])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    return m


def _decode_tensor(t):
    return tensor.to_array(onnx_proto.decode(memoryview(t.SerializeToString()), onnx_schema.Tensor))


# ---- sizes before allocation -------------------------------------------------------

def test_absurd_dims_are_refused_before_allocating():
    t = helper.make_tensor("w", FLOAT, [1], [1.0])
    del t.dims[:]
    t.dims.extend([2**40, 2**40])
    t0 = time.perf_counter()
    with pytest.raises(ModelError, match="more than 2147483648 elements"):
        ir.load(_tensor_model(t).SerializeToString())
    assert time.perf_counter() - t0 < 0.5


def test_negative_dims_and_count_mismatches():
    t = helper.make_tensor("w", FLOAT, [2], [1.0, 2.0])
    t.dims[0] = -2
    with pytest.raises(ModelError, match="negative dimension"):
        _decode_tensor(t)
    for dtype, values in ((TensorProto.INT64, [1, 2, 3]), (TensorProto.FLOAT, [1.0, 2.0, 3.0]),
                          (TensorProto.DOUBLE, [1.0]), (TensorProto.STRING, [b"a"]), (TensorProto.INT32, [1])):
        t = helper.make_tensor("w", dtype, [len(values)], values)
        t.dims[0] = 2
        with pytest.raises(ModelError, match="holds|need"):
            _decode_tensor(t)


def test_bulk_integer_fields_match_onnx():
    """int64/int32/uint64 data is decoded with numpy (8 bytes per value, not a
    Python int each); packed and unpacked encodings and extreme values agree with onnx."""
    cases = [(TensorProto.INT64, [0, -1, 1, 2**63 - 1, -(2**63), 300, -300]),
             (TensorProto.INT32, [0, -1, 2**31 - 1, -(2**31), 127]),
             (TensorProto.UINT64, [0, 1, 2**64 - 1, 2**63]),
             (TensorProto.UINT32, [0, 2**32 - 1]),
             (TensorProto.INT8, [-128, 127, 0]), (TensorProto.UINT16, [65535, 0]),
             (TensorProto.BOOL, [True, False, True]), (TensorProto.FLOAT16, [0.5, -2.0])]
    for dtype, values in cases:
        t = helper.make_tensor("w", dtype, [len(values)], values)
        np.testing.assert_array_equal(_decode_tensor(t), numpy_helper.to_array(t))
    # unpacked (one key per value) and mixed encodings of int64_data (field 7)
    body = b"".join(b"\x38" + _varint(v) for v in (5, 2**64 - 3)) + b"\x3a" + bytes([2]) + _varint(7) + _varint(1)
    t = onnx_proto.decode(memoryview(b"\x08\x04\x10\x07" + body), onnx_schema.Tensor)
    assert tensor.to_array(t).tolist() == [5, -3, 7, 1]


def test_truncated_packed_varints():
    # dims [2], int64_data packed with a dangling continuation byte
    data = b"\x08\x02\x10\x07\x3a\x02\x05\x85"
    with pytest.raises(ModelError, match="packed varint runs past"):
        onnx_proto.decode(memoryview(data), onnx_schema.Tensor)


def test_length_fields_are_checked_against_remaining_bytes():
    data = bytearray(make_model([helper.make_node("Relu", ["x"], ["y"])], [("x", FLOAT, [2])], [("y", FLOAT, [2])]))
    graph_at = data.index(b"\x3a")            # ModelProto.graph, field 7, wire 2
    data[graph_at + 1] = 0x7F                 # claims 127 bytes (a one-byte varint); fewer remain
    with pytest.raises(ModelError, match="claims 127 bytes"):
        ir.load(bytes(data))


def test_sparse_indices_are_bounds_checked():
    values = helper.make_tensor("v", FLOAT, [2], [1.0, 2.0])
    for idx, dims in (([1, 6], [2, 3]), ([-1, 0], [2, 3])):
        sp = helper.make_sparse_tensor(values, helper.make_tensor("i", TensorProto.INT64, [2], idx), dims)
        msg = onnx_proto.decode(memoryview(sp.SerializeToString()), onnx_schema.SparseTensor)
        with pytest.raises(ModelError, match="outside the dims"):
            tensor.sparse_to_array(msg)


def test_attribute_type_without_value_is_a_model_error():
    m = onnx.load_from_string(make_model([helper.make_node("Constant", [], ["y"], value=helper.make_tensor(
        "c", FLOAT, [1], [1.0]))], [], [("y", FLOAT, [1])]))
    m.graph.node[0].attribute[0].ClearField("t")
    with pytest.raises(ModelError, match="no 't' value"):
        wasm_infer.InferenceSession(m.SerializeToString())


def test_graph_output_nobody_produces_is_refused_at_load():
    model = make_model([helper.make_node("Relu", ["x"], ["y"])], [("x", FLOAT, [2])], [("z", FLOAT, [2])])
    with pytest.raises(ModelError, match="output 'z'"):
        wasm_infer.InferenceSession(model)


def test_only_wasm_infer_errors_escape_but_argument_errors_stay():
    with pytest.raises(ValueError, match="backend"):
        wasm_infer.InferenceSession(b"", backend="gpu")
    with pytest.raises(ModelError, match="expected a model path or bytes"):
        wasm_infer.InferenceSession(12345)


# ---- memory limits ---------------------------------------------------------------------

def test_resource_error_when_the_model_exceeds_the_budget(monkeypatch, effnet_path):
    monkeypatch.setenv("WASM_INFER_MAX_MEMORY", "8M")
    with pytest.raises(ResourceError, match="model file .* more than"):
        wasm_infer.InferenceSession(str(effnet_path))
    # 37 MB of bytes, then as many again in tensors: refused while the tensors are decoded
    monkeypatch.setenv("WASM_INFER_MAX_MEMORY", "60M")
    with pytest.raises(ResourceError, match="needs more than 60.0 MiB"):
        wasm_infer.InferenceSession(_doubled(effnet_path))
    monkeypatch.delenv("WASM_INFER_MAX_MEMORY")
    wasm_infer.InferenceSession(str(effnet_path))


def _doubled(effnet_path):
    """The model with every initializer twice (under new names): 37 MB of tensors."""
    m = onnx.load(str(effnet_path))
    extra = []
    for t in m.graph.initializer:
        c = onnx.TensorProto()
        c.CopyFrom(t)
        c.name = t.name + "_copy"
        extra.append(c)
    m.graph.initializer.extend(extra)
    return m.SerializeToString()


def test_one_tensor_larger_than_the_limit(monkeypatch):
    monkeypatch.setenv("WASM_INFER_MAX_MEMORY", "1K")
    t = numpy_helper.from_array(np.zeros(1024, np.float32), "w")
    with pytest.raises(ResourceError, match="one tensor may use"):
        _decode_tensor(t)


# ---- external data -----------------------------------------------------------------------

def _external_model(tmp_path, location, offset=None, length=None, payload=None, name="model.onnx"):
    w = np.arange(6, dtype=np.float32)
    t = helper.make_tensor("w", FLOAT, [6], [0.0] * 6)
    t.ClearField("float_data")
    t.data_location = TensorProto.EXTERNAL
    entries = {"location": location}
    if offset is not None:
        entries["offset"] = str(offset)
    if length is not None:
        entries["length"] = str(length)
    for k, v in entries.items():
        e = t.external_data.add()
        e.key, e.value = k, v
    model_dir = tmp_path / "models"
    model_dir.mkdir(exist_ok=True)
    if payload is not False:
        target = model_dir / location if not os.path.isabs(location) else None
        if target is not None and ".." not in location:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(payload if payload is not None else b"\xff" * 16 + w.tobytes())
    path = model_dir / name
    path.write_bytes(_tensor_model(t).SerializeToString())
    return path, w


def test_external_data_loads_from_the_models_directory(tmp_path):
    path, w = _external_model(tmp_path, "weights/w.bin", offset=16, length=24)
    (y,) = wasm_infer.InferenceSession(str(path)).run(None, {})
    np.testing.assert_array_equal(y, w)
    # no length: the rest of the file
    path, w = _external_model(tmp_path, "w2.bin", offset=16, name="m2.onnx")
    np.testing.assert_array_equal(wasm_infer.InferenceSession(str(path)).run(None, {})[0], w)


def test_external_data_refused_from_bytes(tmp_path):
    path, _ = _external_model(tmp_path, "w.bin", offset=16, length=24)
    with pytest.raises(ModelError, match="needs the model's path"):
        wasm_infer.InferenceSession(path.read_bytes())


@pytest.mark.parametrize("location, pattern", [
    ("../secret.bin", r"'\.\.'"), ("sub/../../secret.bin", r"'\.\.'"), ("..\\secret.bin", r"'\.\.'"),
    ("/etc/passwd", "relative path"), ("\\\\server\\share", "relative path"), ("C:\\x.bin", "relative path"),
    ("", "no location"), ("w\0.bin", "relative path"), (".", r"'\.\.'"),
])
def test_external_data_paths_that_leave_the_directory(tmp_path, location, pattern):
    (tmp_path / "secret.bin").write_bytes(b"\0" * 64)
    path, _ = _external_model(tmp_path, location, payload=False)
    with pytest.raises(ModelError, match=pattern):
        wasm_infer.InferenceSession(str(path))


def test_external_data_symlink_out_of_the_directory(tmp_path):
    secret = tmp_path / "secret.bin"
    secret.write_bytes(np.arange(6, dtype=np.float32).tobytes())
    path, _ = _external_model(tmp_path, "link.bin", payload=False)
    os.symlink(secret, path.parent / "link.bin")
    with pytest.raises(ModelError, match="outside the model's directory"):
        wasm_infer.InferenceSession(str(path))
    # a symlinked directory that points out
    os.symlink(tmp_path, path.parent / "up")
    path2, _ = _external_model(tmp_path, "up/secret.bin", payload=False, name="m3.onnx")
    with pytest.raises(ModelError, match="outside the model's directory"):
        wasm_infer.InferenceSession(str(path2))


@pytest.mark.parametrize("offset, length, pattern", [
    (16, 28, "runs past the end"), (100, None, "runs past the end"), (0, 20, "length 20 bytes"),
    (-1, 24, "not a non-negative integer"), ("0x10", 24, "not a non-negative integer"), (16, 99999999999, "runs past"),
])
def test_external_data_extents(tmp_path, offset, length, pattern):
    path, _ = _external_model(tmp_path, "w.bin", offset=offset, length=length)
    with pytest.raises(ModelError, match=pattern):
        wasm_infer.InferenceSession(str(path))


def test_external_data_must_be_a_regular_file(tmp_path):
    path, _ = _external_model(tmp_path, "fifo", payload=False)
    os.mkfifo(path.parent / "fifo")        # opening a FIFO would block: refused before opening
    with pytest.raises(ModelError, match="not a regular file"):
        wasm_infer.InferenceSession(str(path))
    (path.parent / "dir").mkdir()
    path, _ = _external_model(tmp_path, "dir", payload=False, name="m4.onnx")
    with pytest.raises(ModelError, match="not a regular file"):
        wasm_infer.InferenceSession(str(path))
    path, _ = _external_model(tmp_path, "missing.bin", payload=False, name="m5.onnx")
    with pytest.raises(ModelError, match="cannot open external data"):
        wasm_infer.InferenceSession(str(path))


def test_warmup_runs_representative_inputs():
    model = make_model([helper.make_node("Relu", ["x"], ["y"])], [("x", FLOAT, ["N", 3])], [("y", FLOAT, ["N", 3])])
    sess = wasm_infer.InferenceSession(model)
    info = sess.warmup()
    assert len(info["runs_ms"]) == 2 and info["inputs"] == {"x": [1, 3]}
    assert len(sess.warmup({"x": np.ones((4, 3), np.float32)}, runs=1)["runs_ms"]) == 1
    seq = helper.make_graph([helper.make_node("SequenceLength", ["s"], ["n"])], "g",
                            [helper.make_tensor_sequence_value_info("s", FLOAT, None)],
                            [helper.make_tensor_value_info("n", TensorProto.INT64, [])])
    m = helper.make_model(seq, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    with pytest.raises(InputError, match="warm-up needs feeds"):
        wasm_infer.InferenceSession(m.SerializeToString()).warmup()
