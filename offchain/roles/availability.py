"""Bounded retries with exponential backoff for artifacts a role cannot fetch or check.

A daemon that fails to obtain a task's artifacts calls `failed(db, key, settings,
problem)`; the next attempt is due after `max(poll_interval, MIN_BACKOFF) * 2**(attempts-1)` seconds
(capped at `MAX_BACKOFF`), never on every poll, and `failed` returns True once
`settings.artifact_timeout` seconds have passed since the first failure: the
caller then gives up waiting (a solver refuses the task, a verifier replays it
from the spec and data itself and disputes). State lives in the daemon's
key/value table (`avail:<key>`), so a restart keeps the clock running.
"""

from __future__ import annotations

import logging
import time

from ..state import StateDB

log = logging.getLogger("offchain.roles")

#: first and longest pause between two attempts, seconds
MIN_BACKOFF = 1.0
MAX_BACKOFF = 30.0


def _key(key) -> str:
    return f"avail:{key}"


def record(db: StateDB, key) -> dict | None:
    """The failure record of `key` ({first, attempts, next, problem}) or None."""
    return db.get(_key(key))


def _now() -> float:
    return time.time()


def due(db: StateDB, key) -> bool:
    """Whether another attempt may be made now."""
    rec = record(db, key)
    return rec is None or _now() >= rec["next"]


def failed(db: StateDB, key, settings, problem: str) -> bool:
    """Record a failed attempt; True when the bounded time to obtain the artifacts is over.
    Logs the first failure and every doubling of the attempts, not each attempt."""
    t = _now()
    rec = record(db, key) or {"first": t, "attempts": 0}
    rec["attempts"] += 1
    delay = min(max(settings.poll_interval, MIN_BACKOFF) * 2 ** (rec["attempts"] - 1), MAX_BACKOFF)
    rec.update(next=t + delay, problem=problem)
    db.put(_key(key), rec)
    expired = t - rec["first"] >= settings.artifact_timeout
    n = rec["attempts"]
    if not expired and n & (n - 1) == 0:
        log.warning("artifacts of %s unavailable (attempt %d, next in %.1fs, giving up after %.0fs): %s",
                    key, n, delay, settings.artifact_timeout, problem)
    return expired


def clear(db: StateDB, key) -> None:
    db.put(_key(key), None)
