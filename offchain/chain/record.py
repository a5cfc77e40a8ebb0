"""The agents' view of deployments/<network>.json: contract addresses, the
pinned chain id and the block the deployment starts at.

The format, its reader and its writer belong to offchain/deployment.py (one
format for every writer and reader); this module only turns a record into
what the chain client needs and validates the two fields it pins: the chain
id (checked before signing) and `start_block` (where event scans begin; the
earliest per-contract block when a legacy record carries only those). A
legacy record without a chain id loads, and the client then refuses to sign.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import deployment


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
    p = deployment.record_path(deployments_dir, network)
    try:
        data = deployment.read_record(p)
        contracts = deployment.addresses(data)
    except deployment.DeploymentError as exc:
        raise RecordError(f"chain: {str(exc).removeprefix('deployment: ')}") from None
    raw = data.get("contracts", data)
    blocks = [b for name, v in raw.items() if isinstance(v, dict)
              if (b := _int(v.get("block"), f"contracts.{name}.block", p)) is not None] \
        if isinstance(raw, dict) else []
    chain_id = _int(data.get("chain_id"), "chain_id", p)
    start = _int(data.get("start_block", data.get("block")), "start_block", p)
    if blocks:
        start = min(blocks) if start is None else min(start, min(blocks))
    return DeploymentRecord(str(p), contracts, chain_id, start)
