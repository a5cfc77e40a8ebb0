"""Agent settings: one dataclass, loaded from a TOML file and TT_* environment variables.

Every daemon and CLI command reads its settings through `load_settings`;
nothing else in the package reads `os.environ`. Precedence, lowest first:
the dataclass defaults, the TOML file (`--config` or $TT_CONFIG), then
environment variables named `TT_<FIELD>` (upper case).
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

ENV_PREFIX = "TT_"


@dataclass(frozen=True)
class Settings:
    """Settings shared by the roles; paths are relative to the working directory."""

    rpc_url: str = "http://127.0.0.1:8545"  # JSON-RPC endpoint of the chain
    network: str = "development"  # picks deployments/<network>.json
    deployments_dir: str = "deployments"  # where deploy scripts write addresses
    interfaces_dir: str = "interfaces"  # ABI JSON of every deployable
    private_key: str = field(default="", repr=False)  # hex key of this role's account (empty: read-only)
    store_dir: str = ".artifacts"  # local content-addressed artifact store
    store_url: str = ""  # HTTP store to publish to / fetch from (empty: local only)
    store_host: str = "127.0.0.1"  # `serve` binds here
    store_port: int = 8600  # `serve` listens here (0: any free port)
    store_uploaders: str = ""  # `serve`: comma-separated addresses that may upload (store/auth.py)
    store_min_stake: int = 0  # `serve`: also let addresses with this bond (base units) upload (0: off)
    store_quota: int = 16 << 30  # `serve`: bytes one uploader may have stored
    store_max_artifact: int = 1 << 30  # bytes of one artifact (server refuses, client stops reading)
    store_timeout: float = 120.0  # seconds one store request may take, body and retries included
    state_dir: str = ".agent"  # SQLite state of the daemons, one file per role
    poll_interval: float = 1.0  # seconds between chain polls of a daemon
    reorg_depth: int = 5  # reorg window: blocks re-read each poll and in which done actions are re-checked
    confirmations: int = -1  # blocks on top before a receipt or event counts (-1: 0 on 31337, 3 elsewhere)
    tx_timeout: float = 120.0  # seconds to wait for a receipt
    rpc_retries: int = 5  # attempts on a transient RPC error
    samples: int = 3  # steps each verifier re-executes per task (sampling rate)
    backend: str = "fast"  # executor of solve/verify/train: fast (numba) or reference[:device]
    checkpoint_every: int = 10  # a solver publishes full state every k steps
    artifact_timeout: float = 60.0  # seconds to keep retrying (with backoff) unavailable artifacts
    crash_after: str = ""  # testing: die once when an action with this key prefix is mined (state.py)
    error_backoff_max: float = 30.0  # cap (seconds) of the exponential backoff after repeated failures

    def __post_init__(self) -> None:
        validate_settings(self)

    # --- chain client on live networks (offchain/chain/; docs/security.md § "Chain client") ---
    log_window: int = 2000  # most blocks one eth_getLogs request covers (scans start at the deployment block)
    priority_fee_gwei: float = -1.0  # EIP-1559 tip; -1: the node's suggestion (eth_maxPriorityFeePerGas)
    max_fee_gwei: float = 1000.0  # cap on maxFeePerGas, bumps included (0: no cap)
    fee_bump_after: float = 30.0  # seconds unmined before a tx is re-sent, same nonce, bumped fees
    fee_bump_pct: int = 25  # fee increase per replacement (at least 10, what nodes require)
    chain_check_interval: float = 60.0  # seconds between checks of the RPC's chain id against the record

    # --- admission: the budget a solver / verifier checks before it spends anything ----------
    # (offchain/roles/admission.py; docs/security.md "Agents: threat model and operator
    # settings"; ranges in ADMISSION_RANGES below, checked when a daemon starts)
    max_memory_mib: int = 0  # per task: state + node outputs + checkpoint copy (0: half this machine's RAM)
    max_disk_mib: int = 0  # per task: its checkpoints / spilled replay states (0: half the free disk)
    max_step_seconds: float = 30.0  # refuse a task one step of which would take longer (SIGTERM waits a step)
    time_margin: float = 2.0  # estimated wall time x this must fit the solve period / challenge window
    throughput: float = 0.0  # micro-ops per second of this machine (0: measured once per backend, cached)
    min_pay_per_stake: float = 0.01  # solver: (payment - fee) / solver_stake at least this
    max_stake_at_risk: float = 10_000.0  # solver: whole tokens (10**decimals units) bonded on open tasks (0: no cap)
    max_concurrent_tasks: int = 2  # solver: tasks claimed and not yet committed (training) at once

    def with_(self, **changes) -> Settings:
        """A copy with some fields changed (None values are ignored)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


# --- validation: every setting's range, one line naming the setting, its value and the range ---

#: numeric settings: (lowest, highest, lowest excluded); None: unbounded on that side
SETTING_RANGES: dict[str, tuple[float | None, float | None, bool]] = {
    "store_port": (0, 65535, False),
    "poll_interval": (0, 3600, True),
    "reorg_depth": (0, 10_000, False),
    "confirmations": (-1, 10_000, False),  # -1: 0 on local chains, 3 on live ones
    "log_window": (1, 100_000, False),
    "max_fee_gwei": (0, None, False),
    "fee_bump_after": (0, None, True),
    "fee_bump_pct": (10, 1_000, False),
    "chain_check_interval": (0, None, True),
    "store_min_stake": (0, None, False),
    "store_quota": (0, None, False),
    "store_max_artifact": (1, None, False),
    "store_timeout": (0, None, True),
    "tx_timeout": (0, None, True),
    "rpc_retries": (1, 100, False),
    "samples": (1, None, False),
    "checkpoint_every": (1, None, False),
    "artifact_timeout": (0, None, False),
    "error_backoff_max": (0, 86_400, True),
}
#: settings that must not be empty
NON_EMPTY = ("rpc_url", "network", "deployments_dir", "interfaces_dir", "store_dir", "state_dir", "store_host")
_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_URL = re.compile(r"(https?|wss?)://[^\s/]+.*")


def _range_text(lo, hi, open_lo: bool) -> str:
    low = "" if lo is None else f"{'>' if open_lo else '>='} {lo:g}"
    high = "" if hi is None else f"<= {hi:g}"
    return " and ".join(x for x in (low, high) if x)


def check_private_key(key: str, name: str = "private_key") -> None:
    """ValueError (without echoing the key) unless `key` is empty or a valid secp256k1 key in hex."""
    if key == "":
        return
    m = re.fullmatch(r"(?:0x)?([0-9a-fA-F]{64})", key.strip())
    if m is None:
        raise ValueError(f"config: {name} is not a 32-byte hex key (0x + 64 hex digits; value not shown)")
    if not 1 <= int(m[1], 16) < _SECP256K1_N:
        raise ValueError(f"config: {name} is outside the secp256k1 key range (value not shown)")


def validate_settings(s: Settings) -> None:
    """ValueError with one line naming the first setting out of its range."""
    for name, (lo, hi, open_lo) in SETTING_RANGES.items():
        v = getattr(s, name, None)
        if v is None:
            continue
        if isinstance(v, float) and not math.isfinite(v):
            raise ValueError(f"config: {name} = {v!r} is not a finite number (must be {_range_text(lo, hi, open_lo)})")
        if (lo is not None and (v <= lo if open_lo else v < lo)) or (hi is not None and v > hi):
            raise ValueError(f"config: {name} = {v!r} is out of range (must be {_range_text(lo, hi, open_lo)})")
    for name in NON_EMPTY:
        if not str(getattr(s, name, "x")).strip():
            raise ValueError(f"config: {name} must not be empty")
    if not _URL.fullmatch(s.rpc_url.strip()):
        raise ValueError("config: rpc_url is not an http(s):// or ws(s):// URL")
    if s.store_url and not re.fullmatch(r"https?://[^\s/]+.*", s.store_url.strip()):
        raise ValueError(f"config: store_url = {s.store_url!r} is not an http(s):// URL")
    check_private_key(s.private_key)
    check_admission_settings(s)


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
        if typ in (int, float) and isinstance(raw, bool):
            raise ValueError("a boolean is not a number")
        if typ is int and isinstance(raw, float):
            return _exact_int(raw)
        if typ is str and not isinstance(raw, str):
            raise ValueError("not a string")
        return typ(raw.strip() if isinstance(raw, str) and typ is not str else raw)
    except (TypeError, ValueError) as exc:
        shown = "(value not shown)" if name == "private_key" else repr(raw)
        raise ValueError(f"config: bad value for {name}: {shown} (expected {typ.__name__})") from exc


def _exact_int(raw: float) -> int:
    if not raw.is_integer():
        raise ValueError(f"not an integer: {raw!r}")
    return int(raw)


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
        try:
            with p.open("rb") as fh:
                data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:  # its text ends "(at line L, column C)"
            raise ValueError(f"config: {p}: not valid TOML: {exc}") from None
        except OSError as exc:
            raise ValueError(f"config: cannot read {p}: {exc.strerror}") from None
        data = data.get("agent", data)  # accept a bare table or an [agent] table
        if not isinstance(data, dict):
            raise ValueError(f"config: {p}: [agent] must be a table")
        for key, raw in data.items():
            if key not in types:
                raise ValueError(f"config: unknown setting {key!r} in {p}")
            try:
                values[key] = _coerce(key, types[key], raw)
            except ValueError as exc:
                raise ValueError(f"{exc} in {p}") from None
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
