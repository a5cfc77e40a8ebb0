"""A chain stand-in for daemon unit tests: serves `TaskRegistry.get_task` from a dict of
TaskViews (and `task_header` from a dict of headers) and records (and refuses) every other call, so a test sees whether a daemon
tried to stake, claim or send anything."""

from __future__ import annotations

import dataclasses

from offchain.config import Settings
from offchain.roles.registry import OPEN, TaskView


class UnexpectedCall(RuntimeError):
    pass


class FakeChain:
    address = "0x" + "11" * 20
    account = None

    def __init__(self, tasks: dict[int, TaskView] | None = None, headers: dict[int, int] | None = None):
        self.tasks = dict(tasks or {})
        self.headers = dict(headers or {})  # task id -> program header (TaskRegistry.task_header)
        self.calls: list[tuple[str, str]] = []
        self.deployment: dict[str, str] = {}
        self.uris: dict[int, str] = {}
        # (contract, function) -> value; the token's decimals as a TestToken's
        self.views: dict[tuple[str, str], object] = {("Token", "decimals"): 18}

    def call(self, name: str, fn: str, *args, **_kw):
        if (name, fn) == ("TaskRegistry", "get_task"):
            view = self.tasks[int(args[0])]
            return tuple(getattr(view, f.name) for f in dataclasses.fields(TaskView))[1:]
        if (name, fn) == ("TaskRegistry", "task_header") and int(args[0]) in self.headers:
            return self.headers[int(args[0])]
        if (name, fn) == ("TaskRegistry", "artifact_uri"):
            return self.uris[int(args[0])]
        if (name, fn) in self.views:
            return self.views[(name, fn)]
        self.calls.append((name, fn))
        raise UnexpectedCall(f"fake chain: unexpected call {name}.{fn}")

    def contract(self, name: str):
        self.calls.append((name, "contract"))
        raise UnexpectedCall(f"fake chain: unexpected use of contract {name}")

    def block(self, _ident="latest"):
        return {"timestamp": 1_000, "number": 1, "hash": b"\x00" * 32}

    def block_number(self) -> int:
        return 1

    def build(self, name, fn, *args, **_kw):
        self.calls.append((name, fn))
        raise UnexpectedCall(f"fake chain: unexpected transaction {name}.{fn}")


def task_view(task_id: int = 1, **fields) -> TaskView:
    """A TaskView with zero/empty defaults (whatever fields TaskView has) and `fields` set."""
    base = {}
    for f in dataclasses.fields(TaskView):
        t = f.type if isinstance(f.type, str) else f.type.__name__
        base[f.name] = b"\x00" * 32 if t == "bytes" else "0x" + "00" * 20 if t == "str" else 0
    base.update(task_id=task_id, status=OPEN, claim_deadline=10**9)
    base.update(fields)
    return TaskView(**base)


def settings(tmp_path, **kw) -> Settings:
    # a fixed throughput (micro-ops/s) unless a test sets one: a daemon would otherwise defer
    # its first task while it measures this machine (offchain/roles/admission.py)
    kw.setdefault("throughput", 1e9)
    return Settings(store_dir=str(tmp_path / "store"), state_dir=str(tmp_path / "state"),
                    poll_interval=0.01, **kw)


class NoEvents:
    def poll(self):
        return []
