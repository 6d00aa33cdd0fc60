"""Inputs whose shapes do not fit each other get InputError naming the input, as onnxruntime
refuses them, instead of a result: NumPy would broadcast a shorter input, zip a list to the
shorter one, or run with the part there is. Each case is an ONNX backend node test with one
input cut short by one element along its last axis (or grown by one), and the graph's declared
shapes made symbolic so that only the op can notice."""
import numpy as np
import onnx
import onnxruntime as ort
import pytest

import wasm_infer
from tools import conformance

ort.set_default_logger_severity(4)

# (node test, input cut short, what our message names)
CASES = [
    ("test_resize_upsample_scales_nearest", "scales", "scales"),
    ("test_upsample_nearest", "scales", "scales"),
    ("test_slice", "starts", "ends"),
    ("test_tile", "y", "repeats"),
    ("test_split_equal_parts_1d_opset13", "input", "split evenly"),
    ("test_basic_conv_with_padding", "W", "kernel_shape"),
    ("test_instancenorm_example", "s", "scale"),
    ("test_scatter_elements_with_axis", "updates", "updates"),
    ("test_scatternd_max_with_element_indices", "indices", "updates"),
    ("test_nonmaxsuppression_two_classes", "scores", "scores"),
    ("test_unsqueeze_unsorted_axes", "axes", "axes"),
    ("test_reversesequence_time", "sequence_lens", "sequence_lens"),
    ("test_convtranspose_output_shape", "X", "output_shape"),
    ("test_col2im", "image_shape", "block_shape"),
    ("test_rotary_embedding_with_rotary_dim", "sin_cache", "sin_cache"),
    ("test_tensorscatter", "write_indices", "write_indices"),
    ("test_basic_deform_conv_with_padding", "X", "offset"),
    ("test_nllloss_NCd1", "input", "target"),
    ("test_sce_mean_3d", "x", "target"),
    ("test_center_crop_pad_crop", "shape", "shape"),
]


# grown by one element instead
GROWN = [
    ("test_convtranspose_kernel_shape", "W", "kernel_shape"),
    ("test_onehot_without_axis", "values", "values"),
    ("test_dft_inverse", "x", "the last axis must be 1"),
]


def _cut_short(name, which, grow=False):
    (case,) = [c for c in conformance.load_cases(name) if c.name == name]
    model = onnx.ModelProto.FromString(case.model.SerializeToString())
    for vi in model.graph.output:
        vi.type.tensor_type.ClearField("shape")
    for vi in model.graph.input:
        if vi.type.tensor_type.HasField("shape"):
            for j, dim in enumerate(vi.type.tensor_type.shape.dim):
                dim.Clear()
                dim.dim_param = f"{vi.name}_{j}"
    names = [i.name for i in model.graph.input]
    feeds = dict(zip(names, (conformance.as_array(x) for x in case.data_sets[0][0])))
    good = dict(feeds)
    a = feeds[which]
    feeds[which] = np.concatenate([a, a[..., -1:]], axis=-1) if grow else a[..., :-1]
    return model.SerializeToString(), good, feeds


@pytest.mark.parametrize("name,which,named,grow", [(*c, False) for c in CASES] + [(*c, True) for c in GROWN],
                         ids=[c[0] for c in CASES] + [c[0] + "_grown" for c in GROWN])
def test_an_input_cut_short_is_an_input_error_as_onnxruntime_refuses_it(name, which, named, grow):
    data, good, bad = _cut_short(name, which, grow)
    sess = wasm_infer.InferenceSession(data)
    sess.run(None, good)        # the case itself runs
    with pytest.raises(Exception):     # noqa: B017 (that onnxruntime refuses it, whatever its class)
        ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, bad)
    with pytest.raises(wasm_infer.InputError, match=named):
        sess.run(None, bad)


@pytest.mark.parametrize("target", [-6, 5, 99])
def test_a_loss_target_class_outside_the_classes_is_an_input_error(target):
    """onnxruntime takes -5 .. 4 for 5 classes (a negative id counts from the last, as its
    GatherElements does; so do we) and refuses the rest."""
    data, good, _ = _cut_short("test_nllloss_NCd1", "input")
    ref = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    sess = wasm_infer.InferenceSession(data)
    for ok in (-5, -1, 4):
        feeds = dict(good, target=good["target"].copy())
        feeds["target"].flat[0] = ok
        np.testing.assert_allclose(sess.run(None, feeds)[0], ref.run(None, feeds)[0], rtol=1e-6)
    bad = dict(good, target=good["target"].copy())
    bad["target"].flat[0] = target
    with pytest.raises(Exception):     # noqa: B017
        ref.run(None, bad)
    with pytest.raises(wasm_infer.InputError, match=r"outside \[-5, 5\)"):
        sess.run(None, bad)


def test_an_axis_named_twice_is_reduced_once_as_in_onnxruntime():
    """NumPy refuses a repeated axis (it was a ModelError); onnxruntime reduces it once."""
    data, good, _ = _cut_short("test_reduce_log_sum_asc_axes", "axes")
    feeds = dict(good, axes=np.array([0, 1, 1], np.int64))
    want = ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    np.testing.assert_allclose(wasm_infer.InferenceSession(data).run(None, feeds)[0], want, rtol=1e-6)
    with pytest.raises(wasm_infer.InputError, match="axes"):
        wasm_infer.InferenceSession(data).run(None, dict(good, axes=np.array([0, 3], np.int64)))
