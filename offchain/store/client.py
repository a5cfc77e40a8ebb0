"""HTTP client of the artifact store; every fetch is checked against its address.

The store is untrusted for size and time as well as content: every call has one
overall deadline (`timeout` seconds, retries included, enforced by aiohttp's
total timeout: a server trickling its head or body bytes cannot hold the caller
longer), a body larger than `max_size` is refused from its Content-Length or,
without one, as soon as the streamed bytes pass it, and bytes are hashed as they
arrive. Uploads are signed with the role's key (store/auth.py).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json

import aiohttp

from .. import limits
from ..config import Settings
from .address import ArtifactCorrupt, ArtifactMissing, StoreError, address_of, hasher, normalize
from .auth import sign_upload
from .local import LocalStore


def _run(coro):
    """Run `coro` to completion from synchronous code (in a helper thread when this
    thread already runs an event loop)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1) as ex:
        return ex.submit(asyncio.run, coro).result()


class HttpStore:
    """Talks to a `StoreServer`; keeps a verified local cache when `cache` is given.
    `key` (a hex private key) signs uploads; without it `put` is refused by any
    store that checks uploads (all of ours)."""

    def __init__(self, url: str, cache: LocalStore | None = None, timeout: float = 30.0,
                 retries: int = 3, key: str = "", max_size: int = limits.CLIENT_MAX_ARTIFACT):
        self.url = url.rstrip("/")
        self.cache = cache
        self.timeout = timeout
        self.retries = max(1, retries)
        self.key = key
        self.max_size = max_size

    def __repr__(self) -> str:  # never shows the key
        return f"HttpStore({self.url!r})"

    async def _attempts(self, method: str, path: str, handle, **kw):
        """`handle(response)` for the first attempt that reaches the server, retrying
        connection failures with backoff, all within one deadline of `self.timeout`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        last: Exception | None = None
        async with aiohttp.ClientSession() as session:
            for attempt in range(self.retries):
                left = deadline - loop.time()
                if left <= 0:
                    break
                try:
                    async with asyncio.timeout(left):
                        async with session.request(method, f"{self.url}/{path}",
                                                   timeout=aiohttp.ClientTimeout(total=left), **kw) as r:
                            return await handle(r)
                except TimeoutError as exc:
                    last = exc
                    break  # the deadline is spent
                except aiohttp.ClientError as exc:  # refused, reset, disconnected, bad framing
                    last = exc
                if attempt + 1 < self.retries:
                    await asyncio.sleep(min(0.2 * 2**attempt, max(0.0, deadline - loop.time())))
        if isinstance(last, TimeoutError) or last is None:
            raise StoreError(f"store: {method} {path[:12]} at {self.url} did not finish within "
                             f"{self.timeout:g} s")
        raise StoreError(f"store: cannot reach {self.url}: {type(last).__name__}")

    def healthy(self) -> bool:
        """Whether the server answers /health."""
        async def handle(r):
            return r.status == 200
        try:
            return _run(self._attempts("GET", "health", handle))
        except StoreError:
            return False

    def put(self, data: bytes) -> str:
        data = bytes(data)
        addr = address_of(data)
        if len(data) > self.max_size:
            raise StoreError(f"store: {len(data)} bytes is over the artifact limit of {self.max_size}")
        headers = sign_upload(self.key, addr, len(data)) if self.key else {}
        headers["Content-Type"] = "application/octet-stream"

        async def handle(r):
            body = await r.content.read(4096)
            if r.status != 201:
                raise StoreError(f"store: upload to {self.url} refused ({r.status}): "
                                 f"{limits.show(body.decode(errors='replace'), 200)}")
            try:
                return json.loads(body)["address"]
            except (ValueError, KeyError, TypeError):
                raise StoreError(f"store: malformed answer from {self.url}") from None

        got = _run(self._attempts("PUT", addr, handle, data=data, headers=headers))
        if got != addr:
            raise StoreError(f"store: server stored {limits.show(got)}, expected {addr}")
        if self.cache is not None:
            self.cache.put(data)
        return addr

    def has(self, addr: str | bytes) -> bool:
        if self.cache is not None and self.cache.has(addr):
            return True

        async def handle(r):
            return r.status == 200
        return _run(self._attempts("HEAD", normalize(addr), handle))

    def get(self, addr: str | bytes) -> bytes:
        a = normalize(addr)
        if self.cache is not None and self.cache.has(a):
            try:
                return self.cache.get(a)
            except StoreError:
                self.cache.path(a).unlink(missing_ok=True)  # a bad cached copy: refetch

        async def handle(r):
            if r.status == 404:
                raise ArtifactMissing(f"store: artifact {a} not found at {self.url}")
            if r.status != 200:
                raise StoreError(f"store: fetch of {a} from {self.url} failed ({r.status})")
            if r.content_length is not None and r.content_length > self.max_size:
                raise StoreError(f"store: artifact {a} is {r.content_length} bytes, over the limit "
                                 f"of {self.max_size}")
            buf, h = bytearray(), hasher()
            async for chunk in r.content.iter_chunked(limits.STORE_CHUNK):
                if len(buf) + len(chunk) > self.max_size:
                    raise StoreError(f"store: artifact {a} from {self.url} is over the limit of "
                                     f"{self.max_size} bytes")
                buf += chunk
                h.update(chunk)
            got = "0x" + h.digest().hex()
            if got != a:
                raise ArtifactCorrupt(f"store: artifact {a} is corrupt (bytes hash to {got})")
            return bytes(buf)

        data = _run(self._attempts("GET", a, handle))
        if self.cache is not None:
            self.cache.put(data)
        return data


def open_store(settings: Settings) -> LocalStore | HttpStore:
    """The store a role uses: HTTP (with a local cache, uploads signed with the role's
    key) when store_url is set, else local."""
    local = LocalStore(settings.store_dir)
    if settings.store_url:
        return HttpStore(settings.store_url, cache=local, timeout=settings.store_timeout,
                         key=settings.private_key, max_size=settings.store_max_artifact)
    return local

