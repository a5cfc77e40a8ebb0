"""Agent settings: one dataclass, loaded from a TOML file and TT_* environment variables.

Every daemon and CLI command reads its settings through `load_settings`;
nothing else in the package reads `os.environ`. Precedence, lowest first:
the dataclass defaults, the TOML file (`--config` or $TT_CONFIG), then
environment variables named `TT_<FIELD>` (upper case).
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

ENV_PREFIX = "TT_"


@dataclass(frozen=True)
class Settings:
    """Settings shared by the roles; paths are relative to the working directory."""

    rpc_url: str = "http://127.0.0.1:8545"  # JSON-RPC endpoint of the chain
    network: str = "development"  # picks deployments/<network>.json
    deployments_dir: str = "deployments"  # where deploy scripts write addresses
    interfaces_dir: str = "interfaces"  # ABI JSON of every deployable
    private_key: str = ""  # hex key of this role's account (empty: read-only)
    store_dir: str = ".artifacts"  # local content-addressed artifact store
    store_url: str = ""  # HTTP store to publish to / fetch from (empty: local only)
    store_host: str = "127.0.0.1"  # `serve` binds here
    store_port: int = 8600  # `serve` listens here (0: any free port)
    state_dir: str = ".agent"  # SQLite state of the daemons, one file per role
    poll_interval: float = 1.0  # seconds between chain polls of a daemon
    reorg_depth: int = 5  # blocks the event cursor re-reads on every poll
    confirmations: int = 0  # blocks to wait after a receipt before trusting it
    tx_timeout: float = 120.0  # seconds to wait for a receipt
    rpc_retries: int = 5  # attempts on a transient RPC error
    samples: int = 3  # steps each verifier re-executes per task (sampling rate)
    checkpoint_every: int = 10  # a solver publishes full state every k steps
    artifact_timeout: float = 60.0  # seconds to keep retrying (with backoff) unavailable artifacts
    crash_after: str = ""  # testing: die once when an action with this key prefix is mined (state.py)

    # --- admission: the budget a solver / verifier checks before it spends anything ----------
    # (offchain/roles/admission.py; docs/security.md "Agents: threat model and operator
    # settings"; ranges in ADMISSION_RANGES below, checked when a daemon starts)
    max_memory_mib: int = 0  # per task: state + node outputs + checkpoint copy (0: half this machine's RAM)
    max_disk_mib: int = 0  # per task: its checkpoints / spilled replay states (0: half the free disk)
    max_step_seconds: float = 30.0  # refuse a task one step of which would take longer (SIGTERM waits a step)
    time_margin: float = 2.0  # estimated wall time x this must fit the solve period / challenge window
    throughput: float = 0.0  # micro-ops per second of this machine (0: measured once per backend, cached)
    min_pay_per_stake: float = 0.01  # solver: (payment - fee) / solver_stake at least this
    max_stake_at_risk: float = 10_000.0  # solver: whole tokens (10**18 units) bonded on open tasks (0: no cap)
    max_concurrent_tasks: int = 2  # solver: tasks claimed and not yet committed (training) at once

    def with_(self, **changes) -> Settings:
        """A copy with some fields changed (None values are ignored)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


#: (lowest, highest) accepted value of each admission setting
ADMISSION_RANGES: dict[str, tuple[float, float]] = {
    "max_memory_mib": (0, 1 << 30),
    "max_disk_mib": (0, 1 << 40),
    "max_step_seconds": (0.001, 86_400.0),
    "time_margin": (1.0, 1000.0),
    "throughput": (0.0, 1e18),
    "min_pay_per_stake": (0.0, 1e9),
    "max_stake_at_risk": (0.0, 1e18),
    "max_concurrent_tasks": (1, 1024),
}


def check_admission_settings(s: Settings) -> None:
    """ValueError naming the first admission setting outside its range (or not finite)."""
    for name, (lo, hi) in ADMISSION_RANGES.items():
        v = getattr(s, name)
        if not (isinstance(v, int | float) and lo <= v <= hi):  # NaN fails both comparisons
            raise ValueError(f"config: {name}={v!r} outside [{lo:g}, {hi:g}]")


def _coerce(name: str, typ: type, raw) -> object:
    try:
        if typ is bool:
            return raw if isinstance(raw, bool) else str(raw).lower() in ("1", "true", "yes")
        return typ(raw)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"config: bad value for {name}: {raw!r}") from exc


def load_settings(path: str | os.PathLike | None = None, env: dict[str, str] | None = None,
                  **overrides) -> Settings:
    """Settings from defaults < TOML file < TT_* environment < keyword overrides."""
    env = dict(os.environ) if env is None else env
    types = {f.name: type(f.default) for f in fields(Settings)}
    values: dict[str, object] = {}
    path = path or env.get(ENV_PREFIX + "CONFIG")
    if path:
        p = Path(path)
        if not p.is_file():
            raise ValueError(f"config: no such file {p}")
        with p.open("rb") as fh:
            data = tomllib.load(fh)
        data = data.get("agent", data)  # accept a bare table or an [agent] table
        for key, raw in data.items():
            if key not in types:
                raise ValueError(f"config: unknown setting {key!r} in {p}")
            values[key] = _coerce(key, types[key], raw)
    for name, typ in types.items():
        raw = env.get(ENV_PREFIX + name.upper())
        if raw is not None and raw != "":
            values[name] = _coerce(name, typ, raw)
    for key, raw in overrides.items():
        if raw is None:
            continue
        if key not in types:
            raise ValueError(f"config: unknown setting {key!r}")
        values[key] = _coerce(key, types[key], raw)
    return Settings(**values)
