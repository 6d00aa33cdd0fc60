"""onnxruntime.InferenceSession on top of wasm_infer.InferenceSession.

What differs from the core session: onnxruntime's constructor arguments
(sess_options, providers, provider_options), feeds that are lists, scalars or
OrtValues (converted to the input's declared dtype, as onnxruntime does),
`output_names` empty meaning all outputs, onnxruntime's exception classes
(capi/onnxruntime_pybind11_state.py), model metadata, IO binding and
profiling."""
import inspect
import os
import warnings

import numpy as np

from .. import dtypes, errors, ir
from ..session import InferenceSession as _CoreSession
from . import _metadata, _values
from ._options import OrtCompatWarning, RunOptions, SessionOptions
from ._profile import Profiler
from .capi import onnxruntime_pybind11_state as state

PROVIDERS = ["CPUExecutionProvider"]


class MissingInputError(errors.InputError, ValueError):
    """A required input is missing from the feed: onnxruntime raises ValueError here."""


def _normalize_providers(providers, provider_options):
    """onnxruntime's check: names or (name, options) pairs; an unavailable
    provider is warned about and skipped, so the session runs on the CPU."""
    if providers is None:
        return
    if isinstance(providers, str) or not hasattr(providers, "__iter__"):
        raise ValueError("'providers' should be a sequence of provider names or (name, options dict) tuples")
    providers = list(providers)
    if provider_options is not None and len(provider_options) != len(providers):
        raise ValueError("'providers' and 'provider_options' should be the same length if both are given.")
    for p in providers:
        name = p[0] if isinstance(p, tuple) else p
        if isinstance(p, tuple) and (len(p) != 2 or not isinstance(p[1], dict)):
            raise ValueError("Only string or (name, options dict) tuples are allowed in 'providers'")
        if not isinstance(name, str):
            raise ValueError("Only string values for 'providers' are supported.")
        if name not in PROVIDERS:
            warnings.warn(f"Specified provider '{name}' is not in available provider names.Available providers: "
                          f"'{', '.join(PROVIDERS)}' (wasm_infer.onnxruntime runs on the CPU)", stacklevel=4)


class InferenceSession:
    """onnxruntime.InferenceSession(path_or_bytes, sess_options=None, providers=None,
    provider_options=None, **kwargs). Runs on wasm_infer: SIMD kernels in
    Pyodide, NumPy natively. kwargs: `backend` passes to wasm_infer ("auto" or
    "numpy"); onnxruntime's own kwargs (disabled_optimizers, ...) are accepted
    and, when given, warned about (OrtCompatWarning)."""

    def __init__(self, path_or_bytes, sess_options=None, providers=None, provider_options=None, **kwargs):
        if sess_options is not None and not isinstance(sess_options, SessionOptions):
            raise TypeError(f"sess_options must be an onnxruntime SessionOptions, got {type(sess_options).__name__}")
        # the session's own copy, as in onnxruntime: get_session_options() returns it, and changes to
        # the caller's options after this do not reach the session
        self._sess_options = sess_options._snapshot() if sess_options is not None else SessionOptions()
        self._model_path = None if isinstance(path_or_bytes, (bytes, bytearray, memoryview)) else path_or_bytes
        _normalize_providers(providers, provider_options)
        backend = kwargs.pop("backend", "auto")
        notes = self._sess_options.not_applied() + [f"{k}={v!r} (an onnxruntime-only argument)" for k, v in kwargs.items()]
        if notes:
            warnings.warn("wasm_infer.onnxruntime cannot apply these options: " + "; ".join(notes),
                          OrtCompatWarning, stacklevel=2)
        self._profiler = Profiler(self._sess_options.profile_file_prefix) if self._sess_options.enable_profiling else None
        start = self._profiler.now_us() if self._profiler else 0
        data = self._load_bytes(path_or_bytes)
        try:
            self._header = _metadata.read_header(data)
        except errors.ModelError as e:
            raise state.make(state.InvalidProtobuf, f"Failed to load model because protobuf parsing failed: {e}",
                             errors.ModelError, (state.InvalidArgument,)) from e      # b"": InvalidArgument there
        try:
            self._sess = _CoreSession(path_or_bytes, backend=backend)
        except errors.WasmInferError as e:
            raise state.translate(e, loading=True) from e
        if self._profiler:
            end = self._profiler.now_us()
            self._profiler.session_event("model_loading_uri" if self._model_path is not None else "model_loading_array",
                                         start, end - start)
            self._profiler.session_event("session_initialization", start, end - start)
        self._inputs = [_metadata.node_arg(a) for a in self._sess.get_inputs()]
        self._outputs = [_metadata.node_arg(a) for a in self._sess.get_outputs()]
        self._overridable = _metadata.overridable_initializers(self._header)
        self._dtypes = {v.name: dtypes.NUMPY_OF.get(v.elem_type) for v in self._sess.model.graph.inputs
                        if v.kind == "tensor"}
        self._core_run_kwargs = set(inspect.signature(self._sess.run).parameters)

    @staticmethod
    def _load_bytes(path_or_bytes):
        if not isinstance(path_or_bytes, (bytes, bytearray, memoryview, str, os.PathLike)):
            raise TypeError(f"Unable to load from type '{type(path_or_bytes)}'")
        if not isinstance(path_or_bytes, (bytes, bytearray, memoryview)) and not os.path.exists(path_or_bytes):
            path = os.fspath(path_or_bytes)
            raise state.make(state.NoSuchFile, f"Load model from {path} failed:Load model {path} failed. "
                             "File doesn't exist", errors.ModelError)
        try:
            return ir.read_source(path_or_bytes)[0]
        except errors.ModelError as e:     # a folder, an unreadable file: onnxruntime fails to parse it
            raise state.make(state.InvalidProtobuf, f"Load model from {os.fspath(path_or_bytes)} failed: {e}",
                             type(e)) from e
        except errors.WasmInferError as e:
            raise state.translate(e, loading=True) from e

    # ---- what the model is ----
    def get_inputs(self):
        return list(self._inputs)

    def get_outputs(self):
        return list(self._outputs)

    def get_overridable_initializers(self):
        return list(self._overridable)

    def get_modelmeta(self):
        return _metadata.ModelMetadata(self._header)

    def get_providers(self):
        return list(PROVIDERS)

    def get_provider_options(self):
        return {p: {} for p in PROVIDERS}

    def get_session_options(self):
        return self._sess_options

    def set_providers(self, providers=None, provider_options=None):
        _normalize_providers(providers, provider_options)

    def disable_fallback(self):
        pass

    def enable_fallback(self):
        pass

    # ---- running ----
    def _feeds(self, input_feed):
        if not isinstance(input_feed, dict):
            raise state.make(state.InvalidArgument, f"input_feed must be a dict of input name -> value, got "
                             f"{type(input_feed).__name__}", errors.InputError)
        missing = [i.name for i in self._inputs if i.name not in input_feed]
        if missing:
            raise MissingInputError(f"Required inputs ({missing}) are missing from input feed ({list(input_feed)}).")
        feeds = {}
        for name, value in input_feed.items():
            value = _values.as_feed(value)
            want = self._dtypes.get(name)
            if not isinstance(value, np.ndarray) and value is not None and want is not None:
                # onnxruntime builds the tensor of a list or scalar with the input's element type
                try:
                    value = np.asarray(value, dtype=want)
                except (TypeError, ValueError) as e:
                    raise state.make(state.InvalidArgument, f"input {name!r}: cannot convert the value to "
                                     f"{want}: {e}", errors.InputError) from None
            feeds[name] = value
        return feeds

    def _core_run(self, names, feeds, run_options):
        if run_options is not None and not isinstance(run_options, RunOptions):
            raise TypeError(f"run_options must be an onnxruntime RunOptions, got {type(run_options).__name__}")
        kwargs = {}
        if run_options is not None:
            if run_options.terminate:
                raise state.make(state.Fail, "Exiting due to terminate flag being set to true.")
            seconds = run_options._timeout_s()
            if seconds is not None:
                if "timeout" not in self._core_run_kwargs:
                    raise state.make(state.NotImplemented, "run deadlines (wasm_infer.timeout_s) need a wasm_infer "
                                     "whose InferenceSession.run has `timeout`", errors.UnsupportedError)
                kwargs["timeout"] = seconds
        try:
            if self._profiler is None:
                return self._sess.run(names, feeds, run_options, **kwargs)
            start = self._profiler.now_us()
            results = self._sess.run(names, feeds, run_options, **kwargs)
            self._profiler.session_event("model_run", start, self._profiler.now_us() - start)
            # the per-node times come from a second, timed run of the same feeds
            # (profile_run does not return results)
            node_start = self._profiler.now_us()
            self._profiler.node_events(self._sess.profile_run(feeds, names), node_start)
            return results
        except errors.WasmInferError as e:
            raise state.translate(e) from e

    def run(self, output_names, input_feed, run_options=None):
        """Run the model: a list of numpy arrays, one per name in output_names (all outputs when empty or None)."""
        return self._core_run(self._output_names(output_names), self._feeds(input_feed), run_options)

    def _output_names(self, output_names):
        """The names to return: all outputs when empty or None. A str is a TypeError, as in
        onnxruntime (it is not a list of names)."""
        if isinstance(output_names, str):
            raise TypeError(f"output_names must be a list of output names or None, not the str {output_names!r}")
        return [o.name for o in self._outputs] if not output_names else list(output_names)

    def run_async(self, output_names, input_feed, callback, user_data, run_options=None):
        """onnxruntime runs this on a thread of its pool and returns at once;
        here (one thread, as in Pyodide) the run happens now and then calls
        `callback(results, user_data, "")`, or on failure `callback([],
        user_data, message)`, as onnxruntime does. Feeds that are missing or
        cannot be converted raise at once, as there."""
        names = self._output_names(output_names)
        feeds = self._feeds(input_feed)
        try:
            results = self._core_run(names, feeds, run_options)
        except errors.WasmInferError as e:
            callback([], user_data, str(e))
            return
        callback(results, user_data, "")

    def run_with_ort_values(self, output_names, input_dict_ort_values, run_options=None):
        """Like run, with OrtValues in and out."""
        for name, value in (input_dict_ort_values.items() if isinstance(input_dict_ort_values, dict) else ()):
            if not isinstance(value, _values.OrtValue):
                raise state.make(state.InvalidArgument, f"input {name!r}: run_with_ort_values takes OrtValues, got "
                                 f"{type(value).__name__}", errors.InputError)
        return [_values.OrtValue(a) for a in self.run(output_names, input_dict_ort_values, run_options)]

    def io_binding(self):
        return _values.IOBinding(self)

    def run_with_iobinding(self, iobinding, run_options=None):
        iobinding._run(run_options)

    # ---- profiling ----
    def end_profiling(self):
        """Write the profile (onnxruntime's JSON trace format) and return its
        file name; "" when profiling is off or already ended, as in onnxruntime."""
        if self._profiler is None:
            return ""
        path, self._profile_start_ns = self._profiler.write(), self._profiler.wall_start_ns
        self._profiler = None
        return path

    def get_profiling_start_time_ns(self):
        return self._profiler.wall_start_ns if self._profiler else getattr(self, "_profile_start_ns", 0)
