"""onnxruntime's profile format: a JSON list of Chrome trace events.

    {"cat": "Session" | "Node", "pid", "tid", "dur" (µs), "ts" (µs since the
     session started profiling), "ph": "X", "name", "args": {"op_name", "provider"} for nodes}

Session events: model_loading_uri (or model_loading_array), session_initialization,
model_run per run; Node events "<node name>_kernel_time" come from
InferenceSession.profile_run's per-node times."""
import datetime
import json
import os
import threading
import time


class Profiler:
    def __init__(self, prefix):
        self.prefix = prefix
        self.start_ns = time.perf_counter_ns()
        self.wall_start_ns = time.time_ns()
        self.events = []
        self.pid, self.tid = os.getpid(), threading.get_ident() & 0x7FFFFFFF

    def now_us(self):
        return (time.perf_counter_ns() - self.start_ns) // 1000

    def session_event(self, name, ts_us, dur_us):
        self.events.append({"cat": "Session", "pid": self.pid, "tid": self.tid, "dur": int(dur_us),
                            "ts": int(ts_us), "ph": "X", "name": name, "args": {}})

    def node_events(self, records, ts_us):
        """records: [(op_type, node name, ms)] from profile_run, laid end to end from ts_us."""
        for op_type, name, ms in records:
            dur = max(int(round(ms * 1000)), 0)
            self.events.append({"cat": "Node", "pid": self.pid, "tid": self.tid, "dur": dur, "ts": int(ts_us),
                                "ph": "X", "name": f"{name or op_type}_kernel_time",
                                "args": {"op_name": op_type, "provider": "CPUExecutionProvider"}})
            ts_us += dur

    def write(self):
        """Write the events as onnxruntime does (prefix + local time + .json, in the working
        directory unless the prefix names one) and return the file name."""
        stamp = datetime.datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
        path = f"{self.prefix}_{stamp}.json"
        with open(path, "w") as f:
            json.dump(self.events, f, indent=0)
        self.events = []
        return path
