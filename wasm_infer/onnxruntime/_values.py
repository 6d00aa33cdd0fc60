"""OrtValue and IOBinding for CPU arrays: thin holders around numpy arrays."""
import numpy as np

from .. import dtypes, errors
from .capi import onnxruntime_pybind11_state as state


def _invalid(message):
    # also a RuntimeError: what onnxruntime raises when it cannot make an OrtValue of something
    return state.make(state.InvalidArgument, message, errors.InputError, (RuntimeError,))


def _check_device(device_type, device_id=0):
    if str(device_type).lower() != "cpu":
        raise _invalid(f"device {device_type!r} is not available: wasm_infer.onnxruntime holds values on the CPU only "
                       "(device_type='cpu')")


def _holdable(array):
    """The ONNX element type of `array`, or a clear error for a type we cannot hold."""
    if not isinstance(array, np.ndarray):
        raise _invalid(f"an OrtValue is made from a numpy array, got {type(array).__name__}")
    elem = dtypes.onnx_type(array.dtype)
    if elem is None or (array.dtype == object and not all(isinstance(v, (str, bytes)) for v in array.flat)):
        raise _invalid(f"cannot hold a numpy array of dtype {array.dtype} in an OrtValue: the element types are "
                       f"ONNX's ({', '.join(sorted(set(dtypes.NAMES.values())))}); object arrays must hold strings")
    return elem


class OrtValue:
    """onnxruntime.OrtValue: a tensor on the CPU (a numpy array)."""

    def __init__(self, array, _elem=None):
        self._array = array
        self._elem = _holdable(array) if _elem is None else _elem

    @staticmethod
    def ortvalue_from_numpy(numpy_obj, device_type="cpu", device_id=0, vendor_id=-1):
        _check_device(device_type, device_id)
        # onnxruntime shares the CPU array's memory; so do we (no copy of a contiguous array)
        elem = _holdable(numpy_obj)
        # np.require keeps a 0-d array 0-d (np.ascontiguousarray makes it 1-d)
        return OrtValue(np.require(numpy_obj, requirements="C") if numpy_obj.dtype != object else numpy_obj, elem)

    @staticmethod
    def ortvalue_from_shape_and_type(shape, element_type, device_type="cpu", device_id=0, vendor_id=-1,
                                     memory_info=None):
        _check_device(device_type, device_id)
        if memory_info is not None:
            raise state.make(state.NotImplemented, "memory_info is not supported: values live on the CPU",
                             errors.UnsupportedError)
        try:
            dtype = dtypes.NUMPY_OF[element_type] if isinstance(element_type, int) else np.dtype(element_type)
        except (KeyError, TypeError):
            raise _invalid(f"unknown element type {element_type!r}") from None
        return OrtValue(np.zeros([int(d) for d in shape], dtype))

    def numpy(self):
        return self._array

    def shape(self):
        return list(self._array.shape)

    def data_type(self):
        return dtypes.type_string(self._elem)

    def element_type(self):
        """The ONNX element type number (onnxruntime 1.32 returns it too: 1 for float)."""
        return self._elem

    def is_tensor(self):
        return True

    def is_sparse_tensor(self):
        return False

    def is_tensor_sequence(self):
        return False

    def has_value(self):
        return True

    def device_name(self):
        return "cpu"

    def data_ptr(self):
        return self._array.ctypes.data

    def tensor_size_in_bytes(self):
        return self._array.nbytes

    def update_inplace(self, data):
        np_arr = np.asarray(data)
        if np_arr.shape != self._array.shape or np_arr.dtype != self._array.dtype:
            raise _invalid(f"update_inplace: got shape {list(np_arr.shape)} dtype {np_arr.dtype}, the OrtValue has "
                           f"{self.shape()} {self._array.dtype}")
        np.copyto(self._array, np_arr)

    def __repr__(self):
        return f"OrtValue({self.data_type()}, shape={self.shape()}, device=cpu)"


def as_feed(value):
    """An OrtValue's array (or the value itself when it is not an OrtValue)."""
    return value._array if isinstance(value, OrtValue) else value


class IOBinding:
    """onnxruntime.IOBinding for CPU arrays: inputs bound by value, outputs
    either allocated by the run or written into a bound OrtValue."""

    def __init__(self, session):
        self._session = session
        self._inputs = {}
        self._outputs = {}        # name -> OrtValue to fill, or None: allocate
        self._results = []

    def bind_cpu_input(self, name, arr_on_cpu):
        self._inputs[name] = arr_on_cpu

    def bind_input(self, name, device_type, device_id, element_type, shape, buffer_ptr):
        raise state.make(state.NotImplemented, "bind_input from a raw buffer pointer is not supported by "
                         "wasm_infer.onnxruntime; use bind_cpu_input(name, array) or bind_ortvalue_input",
                         errors.UnsupportedError)

    def bind_ortvalue_input(self, name, ortvalue):
        if not isinstance(ortvalue, OrtValue):
            raise _invalid(f"bind_ortvalue_input({name!r}): expected an OrtValue, got {type(ortvalue).__name__}")
        self._inputs[name] = ortvalue._array

    def bind_output(self, name, device_type="cpu", device_id=0, element_type=None, shape=None, buffer_ptr=None):
        _check_device(device_type, device_id)
        if buffer_ptr is not None:
            raise state.make(state.NotImplemented, "bind_output to a raw buffer pointer is not supported; use "
                             "bind_ortvalue_output(name, OrtValue.ortvalue_from_shape_and_type(...))",
                             errors.UnsupportedError)
        self._outputs[name] = None

    def bind_ortvalue_output(self, name, ortvalue):
        if not isinstance(ortvalue, OrtValue):
            raise _invalid(f"bind_ortvalue_output({name!r}): expected an OrtValue, got {type(ortvalue).__name__}")
        self._outputs[name] = ortvalue

    def clear_binding_inputs(self):
        self._inputs.clear()

    def clear_binding_outputs(self):
        self._outputs.clear()
        self._results = []

    def synchronize_inputs(self):
        pass

    def synchronize_outputs(self):
        pass

    def get_outputs(self):
        return list(self._results)

    def copy_outputs_to_cpu(self):
        return [v.numpy().copy() for v in self._results]

    def _run(self, run_options):
        """The session runs the bound feeds; results go into the bound OrtValues."""
        names = list(self._outputs)
        if not names:
            raise _invalid("run_with_iobinding: no output is bound (bind_output or bind_ortvalue_output)")
        arrays = self._session.run(names, dict(self._inputs), run_options)
        results = []
        for name, array in zip(names, arrays):
            target = self._outputs[name]
            if target is None:
                results.append(OrtValue(array))
                continue
            if target._array.shape != array.shape or target._array.dtype != array.dtype:
                raise _invalid(f"output {name!r} is {array.dtype} {list(array.shape)}, the OrtValue bound to it "
                               f"is {target._array.dtype} {target.shape()}")
            np.copyto(target._array, array)
            results.append(target)
        self._results = results
