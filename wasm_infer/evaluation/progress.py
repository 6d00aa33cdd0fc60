"""Progress of an evaluation: a tqdm-style line on a terminal, or a callback."""
import sys
import time


def reporter(progress):
    """progress: a callable(done, total), True (a line on stderr), False, or
    None (the line when stderr is a terminal outside Pyodide, else nothing)."""
    if callable(progress):
        return progress
    if progress is None:
        progress = sys.platform != "emscripten" and hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
    return Bar(sys.stderr) if progress else None


class Bar:
    def __init__(self, stream, width=24):
        self.stream, self.width, self.start, self.last = stream, width, time.perf_counter(), 0.0

    def __call__(self, done, total):
        now = time.perf_counter()
        if done < total and now - self.last < 0.1:      # redraw at most 10 times a second
            return
        self.last = now
        frac = done / total if total else 1.0
        fill = int(frac * self.width)
        elapsed = now - self.start
        rate = f"{done / elapsed:.1f} img/s" if elapsed > 0 and done else "? img/s"
        left = f", {elapsed / done * (total - done):.0f}s left" if done and done < total else ""
        self.stream.write(f"\revaluate {frac * 100:3.0f}%|{'█' * fill}{' ' * (self.width - fill)}| "
                          f"{done}/{total} [{elapsed:.0f}s, {rate}{left}]")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()
