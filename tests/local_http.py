"""A real HTTP server on 127.0.0.1 for the download tests: no test touches the internet.

``serve({"/name.pth": bytes})`` answers GET with the file, honours ``Range: bytes=N-`` with 206 (unless
``ranges=False``: then 200 and the whole file, as some servers do), and records each request's headers.
``drop_after=N`` makes the first response send its headers and N bytes, then close the connection;
``stall_after=N`` sends N bytes, then waits without closing until the test ends.
"""

from __future__ import annotations

import socket
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FileServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, files: dict[str, bytes], ranges: bool, drop_after, stall_after) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.files, self.ranges = files, ranges
        self.drop_after, self.stall_after = drop_after, stall_after
        self.requests: list[dict] = []
        self.release = threading.Event()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    @property
    def base_url(self) -> str:
        return self.url("/")


class _Handler(BaseHTTPRequestHandler):
    server: FileServer

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        server = self.server
        server.requests.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
        body = server.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        start = 0
        wanted = self.headers.get("Range", "")
        if server.ranges and wanted.startswith("bytes=") and wanted.endswith("-"):
            start = int(wanted[len("bytes=") : -1])
            if start >= len(body):
                self.send_error(416)
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body) - start))
        self.send_header("Content-Type", "application/octet-stream")
        self.end_headers()
        rest = body[start:]
        if server.drop_after is not None:
            cut, server.drop_after = server.drop_after, None  # once
            self.wfile.write(rest[:cut])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        if server.stall_after is not None:
            self.wfile.write(rest[: server.stall_after])
            self.wfile.flush()
            server.release.wait(60)
            return
        self.wfile.write(rest)


@contextmanager
def serve(files: dict[str, bytes], ranges: bool = True, drop_after=None, stall_after=None):
    server = FileServer(files, ranges, drop_after, stall_after)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()


def dead_url() -> str:
    """A 127.0.0.1 URL nobody listens on: connection refused, as with no network."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"
