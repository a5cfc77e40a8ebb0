"""HTTP client of the artifact store; every fetch is checked against its address."""

from __future__ import annotations

import json
import time

import requests

from ..config import Settings
from .address import ArtifactMissing, StoreError, address_of, check_address, normalize
from .local import LocalStore


class HttpStore:
    """Talks to a `StoreServer`; keeps a verified local cache when `cache` is given."""

    def __init__(self, url: str, cache: LocalStore | None = None, timeout: float = 30.0,
                 retries: int = 3):
        self.url = url.rstrip("/")
        self.cache = cache
        self.timeout = timeout
        self.retries = retries
        self.session = requests.Session()

    def _request(self, method: str, path: str, **kw) -> requests.Response:
        last: Exception | None = None
        for attempt in range(self.retries):
            try:
                return self.session.request(method, f"{self.url}/{path}", timeout=self.timeout, **kw)
            except (requests.ConnectionError, requests.Timeout) as exc:
                last = exc
                time.sleep(0.2 * 2**attempt)
        raise StoreError(f"store: cannot reach {self.url}: {last}")

    def put(self, data: bytes) -> str:
        data = bytes(data)
        addr = address_of(data)
        r = self._request("PUT", addr, data=data)
        if r.status_code != 201:
            raise StoreError(f"store: upload to {self.url} failed ({r.status_code}): {r.text[:200]}")
        got = json.loads(r.text)["address"]
        if got != addr:
            raise StoreError(f"store: server stored {got}, expected {addr}")
        if self.cache is not None:
            self.cache.put(data)
        return addr

    def has(self, addr: str | bytes) -> bool:
        if self.cache is not None and self.cache.has(addr):
            return True
        return self._request("HEAD", normalize(addr)).status_code == 200

    def get(self, addr: str | bytes) -> bytes:
        a = normalize(addr)
        if self.cache is not None and self.cache.has(a):
            try:
                return self.cache.get(a)
            except StoreError:
                self.cache.path(a).unlink(missing_ok=True)  # a bad cached copy: refetch
        r = self._request("GET", a)
        if r.status_code == 404:
            raise ArtifactMissing(f"store: artifact {a} not found at {self.url}")
        if r.status_code != 200:
            raise StoreError(f"store: fetch of {a} from {self.url} failed ({r.status_code})")
        data = check_address(a, r.content)
        if self.cache is not None:
            self.cache.put(data)
        return data


def open_store(settings: Settings) -> LocalStore | HttpStore:
    """The store a role uses: HTTP (with a local cache) when store_url is set, else local."""
    local = LocalStore(settings.store_dir)
    if settings.store_url:
        return HttpStore(settings.store_url, cache=local)
    return local
