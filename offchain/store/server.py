"""HTTP front of a LocalStore, built on aiohttp's server (one event loop, no thread
per connection).

    GET  /health          {"ok": true}
    GET  /<address>       the stored bytes, streamed from the file (sendfile)
    HEAD /<address>       200 with Content-Length from the file's metadata (never read), or 404
    PUT  /<address>       upload: Content-Length required, signed (store/auth.py);
                          201 {"address": ...} once the bytes hash to <address>

An upload is refused before its body is read when it has no Content-Length (411),
is larger than `max_artifact` (413), is not signed by an authorised address (401 /
403), would take its signer over `quota` (413), or when `max_uploads` are already
streaming (503). Its body is streamed into a temporary file while it is hashed;
only when every declared byte has arrived and the bytes hash to the address in
the path is the file moved into place and charged to the signer (a mismatched,
short or stalled upload leaves nothing). Hashing and writing run on a bounded
pool of `workers` threads. Time limits: a connection must deliver a complete
request head within `header_timeout` of connecting (or of its last response),
a body may stall at most `idle_timeout`, and must average `min_rate` bytes/s
after a 10 s grace; a connection breaking one is dropped. Beyond
`max_connections` the oldest idle connections are dropped. The server returns
the bytes it holds without trusting them; clients check every fetch.
Figures: offchain/limits.py; protocol: docs/security.md ("The artifact store").
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import sqlite3
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from .. import limits
from .address import StoreError, hasher, normalize
from .auth import Authorizer, Unauthorized, recover_uploader
from .local import LocalStore

log = logging.getLogger("offchain.store")

MAX_UPLOAD = limits.STORE_MAX_ARTIFACT  # kept for callers of the old name
_GRACE = 10.0  # seconds before the minimum upload rate applies


@dataclass(frozen=True)
class ServerLimits:
    """What one store server accepts; defaults from offchain/limits.py."""

    max_artifact: int = limits.STORE_MAX_ARTIFACT
    quota: int = limits.STORE_QUOTA
    header_timeout: float = limits.STORE_HEADER_TIMEOUT
    idle_timeout: float = limits.STORE_IDLE_TIMEOUT
    min_rate: int = limits.STORE_MIN_RATE
    max_connections: int = limits.STORE_MAX_CONNECTIONS
    max_uploads: int = limits.STORE_MAX_UPLOADS
    workers: int = limits.STORE_WORKERS
    signature_ttl: int = limits.STORE_SIGNATURE_TTL


class Ledger:
    """Bytes each uploader has stored (SQLite next to the artifacts; used from the
    server's event-loop thread only)."""

    def __init__(self, path: Path):
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute("CREATE TABLE IF NOT EXISTS uploads (address TEXT PRIMARY KEY, "
                        "uploader TEXT NOT NULL, size INTEGER NOT NULL, at REAL NOT NULL)")

    def used(self, uploader: str) -> int:
        row = self.db.execute("SELECT COALESCE(SUM(size), 0) FROM uploads WHERE uploader = ?",
                              (uploader.lower(),)).fetchone()
        return int(row[0])

    def record(self, addr: str, uploader: str, size: int) -> None:
        self.db.execute("INSERT OR IGNORE INTO uploads VALUES (?, ?, ?, ?)",
                        (addr, uploader.lower(), size, time.time()))

    def close(self) -> None:
        self.db.close()


def _absorb(fh, h, chunk: bytes) -> None:
    h.update(chunk)
    fh.write(chunk)


def _error(status: int, msg: str, close: bool = False) -> web.Response:
    resp = web.json_response({"error": msg}, status=status)
    if close:
        resp.force_close()
    return resp


class StoreServer:
    """A store server bound at construction (`port=0`: any free port, see `.url`).
    `authorize(signer) -> bool` decides who may upload (None: nobody; every upload
    is refused with 403). `start()` serves from a background thread,
    `serve_forever()` from the calling one."""

    def __init__(self, store: LocalStore, host: str = "127.0.0.1", port: int = 0, *,
                 authorize: Authorizer | None = None, limits_: ServerLimits | None = None):
        self.store = store
        self.authorize = authorize
        self.limits = limits_ or ServerLimits()
        self.sock = socket.create_server((host, port), backlog=128, reuse_port=False)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._pool = ThreadPoolExecutor(self.limits.workers, thread_name_prefix="store-io")
        self._conns: dict[int, list] = {}  # id(protocol) -> [protocol, idle_since or None when busy]
        self._uploads = 0
        self._reserved: dict[str, int] = {}  # uploader -> bytes of uploads in flight
        self.ledger: Ledger | None = None

    @property
    def url(self) -> str:
        host, port = self.sock.getsockname()[:2]
        return f"http://{host}:{port}"

    # --- connection policing ----------------------------------------------------------

    @web.middleware
    async def _track(self, request: web.Request, handler):
        entry = self._conns.setdefault(id(request.protocol), [request.protocol, None])
        entry[1] = None  # busy: the handler enforces the body's own timeouts
        try:
            return await handler(request)
        finally:
            entry[1] = time.monotonic()

    async def _sweep(self, server: web.Server) -> None:
        """Drop connections idle (or sending a request head) longer than header_timeout,
        and the oldest idle ones beyond max_connections."""
        period = max(0.05, min(1.0, self.limits.header_timeout / 4))
        while True:
            await asyncio.sleep(period)
            now = time.monotonic()
            live = server.connections
            ids = {id(p) for p in live}
            for k in [k for k in self._conns if k not in ids]:
                del self._conns[k]
            idle = []
            for p in live:
                entry = self._conns.setdefault(id(p), [p, now])
                if entry[1] is None:
                    continue
                if now - entry[1] > self.limits.header_timeout:
                    self._drop(p)
                else:
                    idle.append((entry[1], p))
            excess = len(live) - self.limits.max_connections
            for _, p in sorted(idle, key=lambda e: e[0])[:max(0, excess)]:
                self._drop(p)

    @staticmethod
    def _drop(protocol) -> None:
        if protocol.transport is not None:
            protocol.transport.close()

    # --- handlers --------------------------------------------------------------------

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    def _addr(self, request: web.Request) -> str:
        try:
            return normalize(request.match_info["addr"])
        except StoreError:
            raise web.HTTPBadRequest(text=json.dumps({"error": "store: malformed address"}),
                                     content_type="application/json") from None

    async def _get(self, request: web.Request) -> web.StreamResponse:
        addr = self._addr(request)
        if self.store.size(addr) is None:
            return _error(404, f"store: artifact {addr} not found")
        return web.FileResponse(self.store.path(addr), chunk_size=limits.STORE_CHUNK)

    async def _head(self, request: web.Request) -> web.StreamResponse:
        addr = self._addr(request)
        size = self.store.size(addr)  # os.stat: the file is never opened
        if size is None:
            return web.Response(status=404)
        resp = web.StreamResponse(status=200)
        resp.content_type = "application/octet-stream"
        resp.content_length = size
        await resp.prepare(request)
        await resp.write_eof()
        return resp

    async def _put(self, request: web.Request) -> web.Response:
        addr = self._addr(request)
        lim = self.limits
        size = request.content_length
        if size is None or "chunked" in request.headers.get("Transfer-Encoding", "").lower():
            return _error(411, "store: an upload needs a Content-Length", close=True)
        if size > lim.max_artifact:
            return _error(413, f"store: {size} bytes is over the artifact limit of {lim.max_artifact}",
                          close=True)
        try:
            signer = recover_uploader(request.headers, addr, size, ttl=lim.signature_ttl)
        except Unauthorized as exc:
            return _error(401, str(exc), close=True)
        if self.authorize is None or not await asyncio.get_running_loop().run_in_executor(
                self._pool, self.authorize, signer):
            return _error(403, f"store: {signer} may not upload here", close=True)
        if self.store.size(addr) is not None:  # already held: nothing to read or charge
            resp = web.json_response({"address": addr}, status=201)
            resp.force_close()
            return resp
        used = self.ledger.used(signer) + self._reserved.get(signer, 0)
        if used + size > lim.quota:
            return _error(413, f"store: {signer} is over its quota ({used} + {size} > {lim.quota} bytes)",
                          close=True)
        if self._uploads >= lim.max_uploads:
            resp = _error(503, "store: busy, retry later", close=True)
            resp.headers["Retry-After"] = "1"
            return resp
        self._uploads += 1
        self._reserved[signer] = self._reserved.get(signer, 0) + size
        try:
            return await self._receive(request, addr, size, signer)
        finally:
            self._uploads -= 1
            self._reserved[signer] -= size
            if not self._reserved[signer]:
                del self._reserved[signer]

    async def _receive(self, request: web.Request, addr: str, size: int, signer: str) -> web.Response:
        lim = self.limits
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _GRACE + size / lim.min_rate
        h, got = hasher(), 0
        fd, tmp = tempfile.mkstemp(dir=self.store.tmp_dir(), prefix="up-")
        try:
            with os.fdopen(fd, "wb") as fh:
                while True:
                    wait = min(lim.idle_timeout, deadline - loop.time())
                    if wait <= 0:
                        return _error(408, "store: upload too slow", close=True)
                    try:
                        async with asyncio.timeout(wait):
                            chunk = await request.content.read(limits.STORE_CHUNK)
                    except TimeoutError:
                        return _error(408, f"store: upload stalled after {got} of {size} bytes", close=True)
                    if not chunk:
                        break
                    got += len(chunk)
                    if got > size:
                        return _error(400, "store: more bytes than Content-Length", close=True)
                    await loop.run_in_executor(self._pool, _absorb, fh, h, chunk)
            if got != size:
                return _error(400, f"store: upload ended after {got} of {size} bytes", close=True)
            got_addr = "0x" + h.digest().hex()
            if got_addr != addr:
                return _error(400, f"store: upload hashes to {got_addr}, not {addr}", close=True)
            self.store.adopt(tmp, addr)
            self.ledger.record(addr, signer, size)
            log.info("store: stored %s (%d bytes) from %s", addr, size, signer)
            return web.json_response({"address": addr}, status=201)
        except (ConnectionError, asyncio.CancelledError, OSError) as exc:
            if isinstance(exc, asyncio.CancelledError):
                raise
            return _error(400, f"store: upload failed ({type(exc).__name__})", close=True)
        finally:
            Path(tmp).unlink(missing_ok=True)

    # --- lifecycle ---------------------------------------------------------------------

    def _app(self) -> web.Application:
        app = web.Application(middlewares=[self._track], client_max_size=64 << 10)
        app.router.add_get("/health", self._health)
        app.router.add_get("/{addr}", self._get, allow_head=False)
        app.router.add_head("/{addr}", self._head)
        app.router.add_put("/{addr}", self._put)
        return app

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        self.ledger = Ledger(self.store.root / ".uploads.sqlite")
        for stale in self.store.tmp_dir().glob("up-*"):  # partial uploads of a previous run
            stale.unlink(missing_ok=True)
        runner = web.AppRunner(self._app(), access_log=None, handle_signals=False,
                               keepalive_timeout=self.limits.header_timeout,
                               max_line_size=8190, max_field_size=8190, max_headers=64)
        await runner.setup()
        await web.SockSite(runner, self.sock).start()
        sweeper = asyncio.create_task(self._sweep(runner.server))
        self._ready.set()
        try:
            await self._stopping.wait()
        finally:
            sweeper.cancel()
            await runner.cleanup()
            self.ledger.close()

    def start(self) -> StoreServer:
        """Serve in a background thread (returns once listening)."""
        self._thread = threading.Thread(target=lambda: asyncio.run(self._serve()), daemon=True,
                                        name="store-server")
        self._thread.start()
        if not self._ready.wait(10):
            raise StoreError("store: the server did not start")
        return self

    def serve_forever(self) -> None:
        """Serve from this thread until interrupted."""
        asyncio.run(self._serve())

    def stop(self) -> None:
        if self._loop is not None and self._stopping is not None and not self._loop.is_closed():
            try:
                self._loop.call_soon_threadsafe(self._stopping.set)
            except RuntimeError:  # the loop has already stopped
                pass
        if self._thread:
            self._thread.join(timeout=10)
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.sock.close()

    def __enter__(self) -> StoreServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
