"""SessionOptions, RunOptions and the enums of onnxruntime's API.

Every attribute onnxruntime has is accepted. Those wasm_infer honours:
enable_profiling, profile_file_prefix, and the logging ones (we write no log
lines, so every level is honoured). Those that cannot apply here (threads,
execution mode, optimisation level, memory arenas, an optimised-model file,
free-dimension overrides, session config entries) are stored and, when set
to something other than onnxruntime's default that does not already hold
here (one thread, optimisations on, spinning threads), reported by one
OrtCompatWarning when a session is created with them: never ignored
silently. Those that would change results without us honouring them
(add_initializer, add_external_initializers, register_custom_ops_library)
raise NotImplemented at once."""
import enum

from .. import errors
from .capi import onnxruntime_pybind11_state as state


class OrtCompatWarning(UserWarning):
    """An onnxruntime option that wasm_infer.onnxruntime accepts but cannot apply."""


class _Enum(enum.IntEnum):
    def __str__(self):      # "GraphOptimizationLevel.ORT_ENABLE_ALL" as onnxruntime's, not IntEnum's "99"
        return f"{type(self).__name__}.{self.name}"


class GraphOptimizationLevel(_Enum):
    ORT_DISABLE_ALL = 0
    ORT_ENABLE_BASIC = 1
    ORT_ENABLE_EXTENDED = 2
    ORT_ENABLE_LAYOUT = 3
    ORT_ENABLE_ALL = 99


class ExecutionMode(_Enum):
    ORT_SEQUENTIAL = 0
    ORT_PARALLEL = 1


class ExecutionOrder(_Enum):
    DEFAULT = 0
    PRIORITY_BASED = 1
    MEMORY_EFFICIENT = 2


# attribute -> (onnxruntime's default, why it cannot apply here); warned about when changed
_NOT_APPLIED = {
    "graph_optimization_level": (GraphOptimizationLevel.ORT_ENABLE_ALL,
                                 "wasm_infer always runs its own graph passes (results equal up to float rounding)"),
    "intra_op_num_threads": (0, "wasm_infer runs single-threaded"),
    "inter_op_num_threads": (0, "wasm_infer runs single-threaded"),
    "execution_mode": (ExecutionMode.ORT_SEQUENTIAL, "wasm_infer runs nodes sequentially"),
    "execution_order": (ExecutionOrder.DEFAULT, "wasm_infer runs nodes in its own topological order"),
    "enable_cpu_mem_arena": (True, "wasm_infer's memory plan decides its arena"),
    "enable_mem_pattern": (True, "wasm_infer's memory plan decides its arena"),
    "enable_mem_reuse": (True, "wasm_infer's memory plan decides its arena"),
    "optimized_model_filepath": ("", "wasm_infer does not write optimised models"),
    "use_per_session_threads": (True, "wasm_infer runs single-threaded"),
}
# values of those that already hold here: asked for, they are honoured (no warning)
_ALREADY = {"intra_op_num_threads": {0, 1}, "inter_op_num_threads": {0, 1}, "use_per_session_threads": {True, False},
            "graph_optimization_level": set(GraphOptimizationLevel) - {GraphOptimizationLevel.ORT_DISABLE_ALL}}
# session config entries that cannot matter to a single-threaded runtime, whatever their value
_MOOT_CONFIG = {"session.intra_op.allow_spinning", "session.inter_op.allow_spinning"}
# honoured (logging: we write no log lines, so any level is honoured)
_APPLIED = {"enable_profiling": False, "profile_file_prefix": "onnxruntime_profile_", "log_severity_level": -1,
            "log_verbosity_level": 0, "logid": "", "use_deterministic_compute": False}


def _not_implemented(what):
    return state.make(state.NotImplemented, f"{what} is not supported by wasm_infer.onnxruntime",
                      errors.UnsupportedError)


class SessionOptions:
    """onnxruntime.SessionOptions: see the module docstring for what applies."""

    def __init__(self):
        for name, (default, _) in _NOT_APPLIED.items():
            object.__setattr__(self, name, default)
        for name, default in _APPLIED.items():
            object.__setattr__(self, name, default)
        self._config = {}
        self._dim_overrides = {}

    def __setattr__(self, name, value):
        if not name.startswith("_") and name not in _NOT_APPLIED and name not in _APPLIED:
            # a pybind11 object refuses unknown attributes too: a typo must not pass silently
            raise AttributeError(f"'SessionOptions' object has no attribute {name!r}")
        object.__setattr__(self, name, value)

    def add_session_config_entry(self, key, value):
        self._config[str(key)] = str(value)

    def get_session_config_entry(self, key):
        try:
            return self._config[key]
        except KeyError:
            raise state.make(state.InvalidArgument, f"SessionOptions does not have configuration with key: {key}",
                             errors.InputError, (RuntimeError,)) from None     # RuntimeError in onnxruntime

    def add_free_dimension_override_by_name(self, dim_name, dim_value):
        self._dim_overrides[("name", dim_name)] = int(dim_value)

    def add_free_dimension_override_by_denotation(self, dim_denotation, dim_value):
        self._dim_overrides[("denotation", dim_denotation)] = int(dim_value)

    def register_custom_ops_library(self, library_path):
        raise _not_implemented(f"register_custom_ops_library({library_path!r}) (custom op libraries are native code)")

    def add_initializer(self, name, ort_value):
        raise _not_implemented(f"add_initializer({name!r})")

    def add_external_initializers(self, names, ort_values):
        raise _not_implemented("add_external_initializers")

    def add_external_initializers_from_files_in_memory(self, names, buffers, lengths):
        raise _not_implemented("add_external_initializers_from_files_in_memory")

    def has_providers(self):
        return False

    def _snapshot(self):
        """A copy with its own config entries and overrides: a session keeps one
        made at its creation, so later changes to the caller's options do not
        reach it (as in onnxruntime)."""
        copy = object.__new__(SessionOptions)
        object.__setattr__(copy, "__dict__", dict(self.__dict__))
        copy._config, copy._dim_overrides = dict(self._config), dict(self._dim_overrides)
        return copy

    def not_applied(self):
        """["name=value (why)"] for the options set here that wasm_infer cannot apply."""
        notes = [f"{name}={getattr(self, name)!r} ({why})" for name, (default, why) in _NOT_APPLIED.items()
                 if getattr(self, name) != default and getattr(self, name) not in _ALREADY.get(name, ())]
        notes += [f"session config entry {k}={v!r} (wasm_infer has no session config entries)"
                  for k, v in self._config.items() if k not in _MOOT_CONFIG]
        notes += [f"free dimension override by {how} {key!r}={v} (wasm_infer takes shapes from the feeds)"
                  for (how, key), v in self._dim_overrides.items()]
        return notes


class RunOptions:
    """onnxruntime.RunOptions. `terminate = True` makes the next run with these
    options fail with Fail, as in onnxruntime. The run config entry
    "wasm_infer.timeout_s" sets a deadline for the run in seconds (the session's
    `timeout`, where this wasm_infer has it)."""

    def __init__(self):
        self.log_severity_level = -1
        self.log_verbosity_level = 0
        self.logid = ""
        self.terminate = False
        self.only_execute_path_to_fetches = False
        self._config = {}

    def add_run_config_entry(self, key, value):
        self._config[str(key)] = str(value)

    def get_run_config_entry(self, key):
        try:
            return self._config[key]
        except KeyError:
            raise state.make(state.InvalidArgument, f"RunOptions does not have configuration with key: {key}",
                             errors.InputError, (RuntimeError,)) from None     # RuntimeError in onnxruntime

    def add_active_adapter(self, adapter):
        raise _not_implemented("LoRA adapters (add_active_adapter)")

    def _timeout_s(self):
        """Seconds from the "wasm_infer.timeout_s" entry, or None."""
        raw = self._config.get("wasm_infer.timeout_s")
        if raw is None:
            return None
        try:
            seconds = float(raw)
        except ValueError:
            seconds = -1.0
        if not seconds > 0:
            raise state.make(state.InvalidArgument, f"run config entry wasm_infer.timeout_s={raw!r} is not a "
                             "positive number of seconds", errors.InputError)
        return seconds
