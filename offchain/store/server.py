"""HTTP front of a LocalStore: GET /<address>, PUT or POST / (returns the address).

Built on the standard library's ThreadingHTTPServer. The server returns the
bytes it holds without trusting them; clients check every fetch.
"""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .address import ArtifactMissing, StoreError, normalize
from .local import LocalStore

log = logging.getLogger("offchain.store")

MAX_UPLOAD = 1 << 30  # 1 GiB per artifact


def _handler(store: LocalStore) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # route access logs to logging, not stderr
            log.debug("%s " + fmt, self.address_string(), *args)

        def _send(self, code: int, body: bytes, ctype: str = "application/octet-stream"):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _error(self, code: int, msg: str):
            self._send(code, json.dumps({"error": msg}).encode(), "application/json")

        def do_GET(self):
            path = self.path.strip("/")
            if path == "health":
                return self._send(200, b'{"ok": true}', "application/json")
            try:
                data = store.get_raw(normalize(path))
            except ArtifactMissing as exc:
                return self._error(404, str(exc))
            except StoreError as exc:
                return self._error(400, str(exc))
            self._send(200, data)

        do_HEAD = do_GET

        def do_PUT(self):
            try:
                n = int(self.headers.get("Content-Length", "-1"))
            except ValueError:
                n = -1
            if not 0 <= n <= MAX_UPLOAD:
                return self._error(411, "store: Content-Length required (at most 1 GiB)")
            data = self.rfile.read(n)
            addr = store.put(data)
            want = self.path.strip("/")
            if want and want != addr:
                return self._error(400, f"store: upload hashes to {addr}, not {want}")
            self._send(201, json.dumps({"address": addr}).encode(), "application/json")

        do_POST = do_PUT

    return Handler


class StoreServer:
    """A running HTTP store; `port=0` binds any free port (see `.url`)."""

    def __init__(self, store: LocalStore, host: str = "127.0.0.1", port: int = 0):
        self.store = store
        self.httpd = ThreadingHTTPServer((host, port), _handler(store))
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> StoreServer:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> StoreServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
