"""Serve the self-contained web demo (build/site/) over HTTP, stdlib only.

    python3 tools/serve.py [--dir build/site] [--port 8000] [--bind 127.0.0.1] [--coi] [--quiet]

`python3 build.py serve` builds the site first and then runs this. Every file
is served with an explicit MIME type (browsers insist on `application/wasm`
for streaming compilation and on a JavaScript type for module scripts and
workers) and `Cache-Control: no-cache`, so a rebuilt wheel or model is picked
up on reload (the browser revalidates; unchanged files cost a 304).

--coi adds Cross-Origin-Opener-Policy: same-origin and
Cross-Origin-Embedder-Policy: require-corp, which make the page cross-origin
isolated (SharedArrayBuffer, and 5 µs instead of 100 µs timer resolution for
the per-node profile). The site loads nothing from other origins, so it works
either way. --port 0 picks a free port; the first line printed says which.
"""
import argparse
import http.server
import os
import sys
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = ROOT / "build" / "site"

MIME_TYPES = {
    "": "application/octet-stream",
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".ipynb": "application/json",
    ".wasm": "application/wasm",
    ".py": "text/x-python; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".zip": "application/zip",
    ".whl": "application/zip",
    ".tar": "application/x-tar",
    ".gz": "application/gzip",
    ".onnx": "application/octet-stream",
    ".npy": "application/octet-stream",
    ".data": "application/octet-stream",
}


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """SimpleHTTPRequestHandler with our MIME table, no-cache and optional COOP/COEP."""

    protocol_version = "HTTP/1.1"   # keep-alive: the page makes ~15 requests
    extensions_map = MIME_TYPES
    coi = False
    quiet = False

    def guess_type(self, path):
        return MIME_TYPES.get(os.path.splitext(str(path))[1].lower(), "application/octet-stream")

    def end_headers(self):
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        if self.coi:
            self.send_header("Cross-Origin-Opener-Policy", "same-origin")
            self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
            self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        super().end_headers()

    def log_message(self, fmt, *args):
        if not self.quiet:
            super().log_message(fmt, *args)

    def handle(self):
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the browser went away mid-response (reload, cancelled fetch)


def make_server(directory, port=8000, bind="127.0.0.1", coi=False, quiet=False):
    handler = type("Handler", (SiteHandler,), {"coi": coi, "quiet": quiet})
    server = http.server.ThreadingHTTPServer((bind, port), partial(handler, directory=str(directory)))
    server.daemon_threads = True
    return server


def main(argv=None):
    parser = argparse.ArgumentParser(prog="serve", description="Serve the wasm_infer web demo (build/site/).")
    parser.add_argument("--dir", default=str(DEFAULT_DIR), help="folder to serve (default: build/site)")
    parser.add_argument("--port", type=int, default=8000, help="TCP port (default 8000; 0 = any free port)")
    parser.add_argument("--bind", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--coi", action="store_true",
                        help="send COOP/COEP headers (cross-origin isolation: finer timers, SharedArrayBuffer)")
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    args = parser.parse_args(argv)
    directory = Path(args.dir)
    if not (directory / "index.html").is_file():
        print(f"serve: {directory} has no index.html; build the site first with `python3 build.py serve` "
              "(or `python3 build.py setup`)", file=sys.stderr)
        return 2
    try:
        server = make_server(directory, args.port, args.bind, args.coi, args.quiet)
    except OSError as e:
        print(f"serve: cannot listen on {args.bind}:{args.port}: {e.strerror} "
              "(another server on that port? try --port 8001)", file=sys.stderr)
        return 2
    host, port = server.server_address[:2]
    shown = f"[{host}]" if ":" in host else host
    print(f"Serving {directory} at http://{shown}:{port}/"
          f"{' with COOP/COEP (cross-origin isolated)' if args.coi else ''} — Ctrl-C to stop", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nstopped", file=sys.stderr)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
