"""The loop every role daemon runs: poll the chain, advance each task, sleep;
stop cleanly on SIGTERM/SIGINT; any error in one task is logged and retried
on the next poll, never fatal to the daemon."""

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
            if phase in TERMINAL or self._stop:
                continue
            try:
                self.advance(task_id, phase, data)
            except Exception as exc:  # noqa: BLE001 - one task's failure must not stop the daemon
                log.error("%s: task=%d phase=%s: %s", self.role, task_id, phase, exc)
                log.debug("traceback", exc_info=True)

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
            try:
                self.poll_once()
            except (fpenv.FloatEnvError, WrongChain) as exc:  # results would differ / another chain
                log.error("%s: %s", self.role, exc)
                raise SystemExit(2) from None
            except Exception as exc:  # noqa: BLE001 - a node hiccup: try again next poll
                log.error("%s: poll failed: %s", self.role, exc)
            if until is not None and until():
                break
            if end is not None and time.time() > end:
                break
            time.sleep(self.settings.poll_interval)
        log.info("%s: stopped", self.role)
