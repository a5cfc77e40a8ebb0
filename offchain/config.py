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
    backend: str = "fast"  # executor of solve/verify/train: fast (numba) or reference[:device]
    checkpoint_every: int = 10  # a solver publishes full state every k steps
    artifact_timeout: float = 60.0  # seconds to keep retrying (with backoff) unavailable artifacts
    crash_after: str = ""  # testing: die once when an action with this key prefix is mined (state.py)

    def with_(self, **changes) -> Settings:
        """A copy with some fields changed (None values are ignored)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


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
