"""SQLite state of a daemon: idempotent actions, event cursors, per-task records, evidence.

A role records an action's *intent* (and the hash of the signed transaction)
before the transaction is sent, and marks it done once the receipt is in.
After a crash (even `kill -9`) the role finds the action, asks the chain
whether its transaction landed, and never sends a second claim or commit.
Every write is its own committed transaction (WAL mode), so a killed process
loses at most the step it was in.

The file holds secrets (the forced-error secret, attestation salts): it is
created 0600 (its WAL and shared-memory files inherit that mode from it) in a
0700 folder, and a state file found readable by others at start is set back
to 0600 with a warning.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import stat
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS actions (
    key TEXT PRIMARY KEY, status TEXT NOT NULL, tx_hash TEXT, data TEXT NOT NULL,
    updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS cursors (name TEXT PRIMARY KEY, block INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS seen_logs (
    name TEXT NOT NULL, tx_hash TEXT NOT NULL, log_index INTEGER NOT NULL, block INTEGER NOT NULL,
    block_hash TEXT NOT NULL, PRIMARY KEY (name, tx_hash, log_index));
CREATE TABLE IF NOT EXISTS tasks (
    task_id INTEGER PRIMARY KEY, phase TEXT NOT NULL, data TEXT NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS evidence (
    task_id INTEGER NOT NULL, step INTEGER NOT NULL, kind TEXT NOT NULL, data TEXT NOT NULL,
    created REAL NOT NULL, PRIMARY KEY (task_id, step, kind));
"""

log = logging.getLogger("offchain.state")

#: action statuses: intent (about to sign), sent (signed, hash known), done, failed
INTENT, SENT, DONE, FAILED = "intent", "sent", "done", "failed"


def private_file(path: Path) -> None:
    """Make `path` (and SQLite's -wal, -shm and -journal files next to it) readable by
    its owner only: create it 0600 (its folder 0700 when new), or set an existing
    file that others can read back to 0600 with a warning."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
    for p in (path, *(path.with_name(path.name + x) for x in ("-wal", "-shm", "-journal"))):
        try:
            mode = stat.S_IMODE(p.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            log.warning("state: %s was readable by others (mode %03o): set to 0600", p, mode)
            os.chmod(p, 0o600)
    if not path.exists():  # O_EXCL: a file created in between is left to the check above next start
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass


@dataclass(frozen=True)
class Action:
    key: str
    status: str
    tx_hash: str | None
    data: dict


class StateDB:
    """One SQLite file per daemon; safe to share between threads of one process."""

    #: testing (settings.crash_after): a key prefix; the process dies (as by kill -9) when an
    #: action with that prefix is about to be recorded done, i.e. its transaction is mined
    #: and the daemon has not written that down yet. Each prefix fires once per state file.
    crash_after: str = ""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if str(path) != ":memory:":
            private_file(self.path)
        self._lock = threading.RLock()
        self.conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.executescript(SCHEMA)

    def close(self) -> None:
        self.conn.close()


    def _exec(self, sql: str, args: tuple = ()) -> sqlite3.Cursor:
        with self._lock:
            return self.conn.execute(sql, args)

    # --- key/value --------------------------------------------------------
    def get(self, key: str, default=None):
        row = self._exec("SELECT value FROM kv WHERE key=?", (key,)).fetchone()
        return default if row is None else json.loads(row[0])

    def put(self, key: str, value) -> None:
        self._exec("INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", (key, json.dumps(value)))

    # --- actions ----------------------------------------------------------
    def action(self, key: str) -> Action | None:
        row = self._exec("SELECT key, status, tx_hash, data FROM actions WHERE key=?", (key,)).fetchone()
        return None if row is None else Action(row[0], row[1], row[2], json.loads(row[3]))

    def set_action(self, key: str, status: str, tx_hash: str | None = None, data: dict | None = None) -> None:
        if self.crash_after and status == DONE and key.startswith(self.crash_after):
            self._crash(key)
        old = self.action(key)
        merged = dict(old.data if old else {})
        merged.update(data or {})
        tx = tx_hash if tx_hash is not None else (old.tx_hash if old else None)
        self._exec("INSERT OR REPLACE INTO actions (key, status, tx_hash, data, updated) VALUES (?,?,?,?,?)",
                   (key, status, tx, json.dumps(merged), time.time()))

    def actions(self, prefix: str = "") -> list[Action]:
        rows = self._exec("SELECT key, status, tx_hash, data FROM actions WHERE key LIKE ? ORDER BY key",
                          (prefix + "%",)).fetchall()
        return [Action(r[0], r[1], r[2], json.loads(r[3])) for r in rows]

    def last_done_block(self) -> int | None:
        """The newest block of a done action's transaction (None: no such action)."""
        row = self._exec("SELECT MAX(json_extract(data, '$.block')) FROM actions WHERE status=?", (DONE,)).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def done_since(self, block: int) -> list[Action]:
        """Done actions whose transaction was mined after `block` (inside the reorg window)."""
        rows = self._exec("SELECT key, status, tx_hash, data FROM actions WHERE status=? AND "
                          "json_extract(data, '$.block') > ? ORDER BY key", (DONE, block)).fetchall()
        return [Action(r[0], r[1], r[2], json.loads(r[3])) for r in rows]

    def _crash(self, key: str) -> None:
        fired = self.get("crash-fired", [])
        if self.crash_after in fired:
            return
        self.put("crash-fired", [*fired, self.crash_after])
        os.write(2, f"state: crash point after {key} (mined, not recorded)\n".encode())
        os._exit(137)

    # --- event cursors ----------------------------------------------------
    def cursor(self, name: str) -> int | None:
        row = self._exec("SELECT block FROM cursors WHERE name=?", (name,)).fetchone()
        return None if row is None else row[0]

    def set_cursor(self, name: str, block: int) -> None:
        self._exec("INSERT OR REPLACE INTO cursors (name, block) VALUES (?, ?)", (name, block))

    def seen_log(self, name: str, tx_hash: str, log_index: int) -> str | None:
        """Block hash under which this log was handled, or None."""
        row = self._exec("SELECT block_hash FROM seen_logs WHERE name=? AND tx_hash=? AND log_index=?",
                         (name, tx_hash, log_index)).fetchone()
        return None if row is None else row[0]

    def mark_log(self, name: str, tx_hash: str, log_index: int, block: int, block_hash: str) -> None:
        self._exec("INSERT OR REPLACE INTO seen_logs VALUES (?,?,?,?,?)",
                   (name, tx_hash, log_index, block, block_hash))

    def prune_logs(self, name: str, below_block: int) -> None:
        self._exec("DELETE FROM seen_logs WHERE name=? AND block<?", (name, below_block))

    # --- per-task records ---------------------------------------------------
    def task(self, task_id: int) -> tuple[str, dict] | None:
        row = self._exec("SELECT phase, data FROM tasks WHERE task_id=?", (task_id,)).fetchone()
        return None if row is None else (row[0], json.loads(row[1]))

    def set_task(self, task_id: int, phase: str, **data) -> None:
        old = self.task(task_id)
        merged = dict(old[1] if old else {})
        merged.update(data)
        self._exec("INSERT OR REPLACE INTO tasks (task_id, phase, data, updated) VALUES (?,?,?,?)",
                   (task_id, phase, json.dumps(merged), time.time()))

    def tasks(self, phase: str | None = None) -> list[tuple[int, str, dict]]:
        if phase is None:
            rows = self._exec("SELECT task_id, phase, data FROM tasks ORDER BY task_id").fetchall()
        else:
            rows = self._exec("SELECT task_id, phase, data FROM tasks WHERE phase=? ORDER BY task_id",
                              (phase,)).fetchall()
        return [(r[0], r[1], json.loads(r[2])) for r in rows]

    # --- evidence (verifier mismatches, picked up by the dispute role) ------
    def add_evidence(self, task_id: int, step: int, kind: str, data: dict) -> None:
        self._exec("INSERT OR REPLACE INTO evidence VALUES (?,?,?,?,?)",
                   (task_id, step, kind, json.dumps(data), time.time()))

    def evidence(self, task_id: int | None = None) -> list[dict]:
        sql = "SELECT task_id, step, kind, data FROM evidence"
        args: tuple = ()
        if task_id is not None:
            sql += " WHERE task_id=?"
            args = (task_id,)
        rows = self._exec(sql + " ORDER BY task_id, step", args).fetchall()
        return [{"task_id": r[0], "step": r[1], "kind": r[2], **json.loads(r[3])} for r in rows]
