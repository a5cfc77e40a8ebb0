"""One nonce manager per key, shared by every daemon (process or thread) that signs
with that key on this machine.

A lock file per address in the state dir (`nonce-<address>.lock`, flock) makes
choosing a nonce and signing one critical section; a reservation table next to
it (`nonce-<address>.json`: nonce -> {tx hash, time, sent}) remembers nonces
handed out whose transactions the node may not have seen yet (signed and
recorded, not yet sent). The next nonce is the lowest one, from the node's
mined count up, that is neither pending at the node nor reserved. A nonce is
free again when the node refused its transaction, when its transaction was
sent but the node no longer knows it (dropped, or undone by a reorg), or when
it was never sent within `ttl` seconds (a crash before the send): a gap never
blocks the key.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

_THREAD_LOCKS: dict[str, threading.Lock] = {}
_GUARD = threading.Lock()


class NonceManager:
    """Nonces of one address; `with m.reserve(...) as r:` picks one, `r.record(hash)` keeps it."""

    def __init__(self, state_dir: str | Path, address: str, ttl: float = 120.0):
        self.dir = Path(state_dir)
        self.address = address.lower()
        self.ttl = ttl
        self.lock_path = self.dir / f"nonce-{self.address}.lock"
        self.table_path = self.dir / f"nonce-{self.address}.json"
        with _GUARD:
            self._tlock = _THREAD_LOCKS.setdefault(str(self.lock_path.resolve()), threading.Lock())

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.dir.mkdir(parents=True, exist_ok=True)
        with self._tlock:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)

    def _load(self) -> dict[int, dict]:
        try:
            raw = json.loads(self.table_path.read_text())
            return {int(k): v for k, v in raw.items() if isinstance(v, dict)}
        except (OSError, ValueError, AttributeError):
            return {}

    def _save(self, table: dict[int, dict]) -> None:
        tmp = self.table_path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump({str(k): v for k, v in sorted(table.items())}, fh)
        os.replace(tmp, self.table_path)

    @contextmanager
    def reserve(self, mined: Callable[[], int], pending: Callable[[], int],
                known: Callable[[str], bool]) -> Iterator[Reservation]:
        """Under the lock: pick the next free nonce. `mined()` / `pending()` are the node's
        transaction counts ("latest" / "pending"); `known(tx_hash)` whether the node has a
        transaction. The caller signs inside the block and calls `record(tx_hash)`."""
        with self._locked():
            table = self._load()
            low = mined()
            table = {n: e for n, e in table.items() if n >= low}
            top = pending()
            now = time.time()
            n = low
            while True:
                if n < top:
                    n += 1  # the node holds a transaction with this nonce
                    continue
                e = table.get(n)
                if e is None:
                    break
                fresh = not e.get("sent") and now - float(e.get("at", 0)) < self.ttl
                if fresh or (e.get("tx") and known(e["tx"])):
                    n += 1  # being sent by a live signer (this or another daemon), or at the node
                    continue
                break  # the node does not know its transaction (dropped, reorged, never sent): reuse
            r = Reservation(n)
            yield r
            if r.tx_hash is not None:
                table[n] = {"tx": r.tx_hash, "at": time.time()}
                self._save(table)

    def release(self, nonce: int, tx_hash: str) -> None:
        """The node refused `tx_hash`: its nonce is free again (if no replacement took it)."""
        with self._locked():
            table = self._load()
            if table.get(nonce, {}).get("tx") == tx_hash:
                del table[nonce]
                self._save(table)

    def sent(self, nonce: int, tx_hash: str) -> None:
        """The node accepted `tx_hash`: from now on the reservation lives as long as the node knows it."""
        with self._locked():
            table = self._load()
            if table.get(nonce, {}).get("tx") == tx_hash:
                table[nonce]["sent"] = True
                self._save(table)

    def replace(self, nonce: int, tx_hash: str) -> None:
        """A replacement (fee bump) of `nonce` was signed (the original is at the node)."""
        with self._locked():
            table = self._load()
            table[nonce] = {"tx": tx_hash, "at": time.time(), "sent": True}
            self._save(table)


class Reservation:
    def __init__(self, nonce: int):
        self.nonce = nonce
        self.tx_hash: str | None = None

    def record(self, tx_hash: str) -> None:
        self.tx_hash = tx_hash
