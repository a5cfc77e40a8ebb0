"""The loop every role daemon runs: poll the chain, advance each task, sleep;
stop cleanly on SIGTERM/SIGINT; any error in one task is logged and retried,
never fatal to the daemon.

Repeated failures back off: a task (or the whole poll) that failed n times in
a row is retried after poll_interval * 2^(n-1) seconds, capped at
`error_backoff_max`, so one error is logged once per backoff period, not on
every poll. The current error of each failing task is kept in the state DB
(`errors`: {key: {"message", "count"}}) for `status` and the demo to show."""

from __future__ import annotations

import logging
import signal
import time
from pathlib import Path

from ..chain import ChainClient, EventCursor, WrongChain, recheck_done
from ..config import Settings
from ..runtime import fpenv
from ..state import StateDB
from ..store import open_store

log = logging.getLogger("offchain.roles")

TERMINAL = {"finalized", "cancelled", "expired", "rejected", "refused", "lost", "verified",
            "won", "missed", "done"}


class Daemon:
    """Subclasses set `role`, `events` (event names, of the TaskRegistry or, when
    `watch_disputes` and it is deployed, the DisputeGame) and implement `on_event`
    and `advance`."""

    role = "daemon"
    events: tuple[str, ...] = ()
    watch_disputes = False

    def __init__(self, settings: Settings, chain: ChainClient | None = None):
        self.settings = settings
        self.chain = chain or ChainClient(settings)
        self.db = StateDB(Path(settings.state_dir) / f"{self.role}.db")
        self.db.crash_after = settings.crash_after
        self.store = open_store(settings)
        self._cursor: EventCursor | None = None
        self._stop = False
        self._failures: dict[str, tuple[int, float, str]] = {}  # key -> (count, retry at, message)

    @property
    def cursor(self) -> EventCursor:
        """The event cursor (built on first use: the deployment must exist by then)."""
        if self._cursor is None:
            contracts = ["TaskRegistry"]
            if self.watch_disputes and "DisputeGame" in self.chain.deployment:
                contracts.append("DisputeGame")
            self._cursor = EventCursor(self.chain, self.db, self.role, contracts)
        return self._cursor

    def on_event(self, ev) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def advance(self, task_id: int, phase: str, data: dict) -> None:  # pragma: no cover
        raise NotImplementedError

    def poll_once(self) -> None:
        fpenv.ensure()  # FTZ/DAZ set by a library since the last poll: cleared, or refuse loudly
        for ev in self.cursor.poll():
            if ev.event in self.events:
                self.on_event(ev)
        recheck_done(self.chain, self.db)  # a done action undone by a reorg is done again
        for task_id, phase, data in self.db.tasks():
            key = f"task={task_id}"
            if phase in TERMINAL or self._stop or self.backing_off(key):
                continue
            try:
                self.advance(task_id, phase, data)
            except Exception as exc:  # noqa: BLE001 - one task's failure must not stop the daemon
                self.failed(key, f"task={task_id} phase={phase}: {exc}", exc)
            else:
                self.succeeded(key)

    # --- failures: exponential backoff, one log line per backoff period ----------------
    def backing_off(self, key: str) -> bool:
        """Whether `key` failed recently and waits for its next try."""
        f = self._failures.get(key)
        return f is not None and time.monotonic() < f[1]

    def failed(self, key: str, message: str, exc: BaseException | None = None) -> float:
        """Record one more failure of `key`, log it (once for this backoff period) and return
        the seconds until its next try."""
        count, _, _ = self._failures.get(key, (0, 0.0, ""))
        count += 1
        delay = min(self.settings.error_backoff_max, self.settings.poll_interval * 2 ** min(count - 1, 30))
        self._failures[key] = (count, time.monotonic() + delay, message)
        if count == 1:
            log.error("%s: %s", self.role, message)
        else:
            log.error("%s: %s (failed %d times in a row; next try in %.1f s)", self.role, message, count, delay)
        if exc is not None:
            log.debug("traceback", exc_info=exc)
        errors = self.db.get("errors", {})
        errors[key] = {"message": message, "count": count}
        self.db.put("errors", errors)
        return delay

    def succeeded(self, key: str) -> None:
        if self._failures.pop(key, None) is not None:
            errors = self.db.get("errors", {})
            if errors.pop(key, None) is not None:
                self.db.put("errors", errors)

    def stop(self, *_args) -> None:
        self._stop = True

    def run(self, until=None, timeout: float | None = None) -> None:
        """Poll until stopped, until `until()` is true, or until `timeout` seconds."""
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        end = None if timeout is None else time.time() + timeout
        try:
            self.chain.wait_connected()
        except WrongChain as exc:  # a node on another chain: nothing it says can be acted on
            log.error("%s: %s", self.role, exc)
            raise SystemExit(2) from None
        log.info("%s: running as %s", self.role, self.chain.account.address if self.chain.account else "-")
        while not self._stop:
            pause = self.settings.poll_interval
            try:
                self.poll_once()
            except (fpenv.FloatEnvError, WrongChain) as exc:  # results would differ / another chain
                log.error("%s: %s", self.role, exc)
                raise SystemExit(2) from None
            except Exception as exc:  # noqa: BLE001 - a node hiccup: try again, backing off
                pause = self.failed("poll", f"poll failed: {exc}", exc)
            else:
                self.succeeded("poll")
            if until is not None and until():
                break
            if end is not None and time.time() > end:
                break
            self._sleep(pause)
        log.info("%s: stopped", self.role)

    def _sleep(self, seconds: float) -> None:
        """Sleep, waking within a tenth of a second of a stop request."""
        end = time.monotonic() + seconds
        while not self._stop and time.monotonic() < end:
            time.sleep(min(0.1, end - time.monotonic()))
