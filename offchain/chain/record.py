"""The one accessor of deployments/<network>.json for the agents: contract
addresses, the pinned chain id and the block the deployment starts at.

Accepted shapes (the brownie script and offchain/chain/deploy.py both write one):
`{"chain_id": 1, "start_block": 123, "contracts": {"Name": "0x.."}}`, a top-level
`"block"` instead of `"start_block"`, contracts as `{"Name": {"address": "0x..",
"block": 123}}` (the earliest per-contract block then wins), and the old flat
`{"Name": "0x.."}` (no chain id: the client then refuses to sign)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


class RecordError(Exception):
    """The deployment record is missing or malformed (one line naming what)."""


@dataclass(frozen=True)
class DeploymentRecord:
    path: str
    contracts: dict[str, str]
    chain_id: int | None  # None: not recorded (old records)
    start_block: int | None  # None: not recorded


def _int(value, what: str, path: Path) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RecordError(f"chain: {path}: {what} must be a non-negative integer, got {value!r:.60}")
    return value


def load_record(deployments_dir: str | Path, network: str) -> DeploymentRecord:
    """The record of `network`; RecordError with one line when it is missing or malformed."""
    p = Path(deployments_dir) / f"{network}.json"
    if not p.is_file():
        raise RecordError(f"chain: no deployment file {p} (deploy first)")
    try:
        data = json.loads(p.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise RecordError(f"chain: {p} is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise RecordError(f"chain: {p} must hold a JSON object")
    raw = data.get("contracts", data)
    if not isinstance(raw, dict):
        raise RecordError(f"chain: {p}: \"contracts\" must be an object")
    contracts: dict[str, str] = {}
    blocks: list[int] = []
    for name, v in raw.items():
        if isinstance(v, dict):
            addr = v.get("address")
            b = _int(v.get("block"), f"contracts.{name}.block", p)
            if b is not None:
                blocks.append(b)
        else:
            addr = v
        if isinstance(addr, str) and addr.startswith("0x"):
            contracts[name] = addr
    chain_id = _int(data.get("chain_id"), "chain_id", p)
    start = _int(data.get("start_block", data.get("block")), "start_block", p)
    if blocks:
        start = min(blocks) if start is None else min(start, min(blocks))
    return DeploymentRecord(str(p), contracts, chain_id, start)
