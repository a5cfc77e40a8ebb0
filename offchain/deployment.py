"""The deployment record, deployments/<network>.json: its format, reader and writer.

One format for every writer (scripts/deploy.py, offchain/chain/deploy.py) and
every reader (the agents' ChainClient, the governance scripts, indexers):

    {"format": 1, "network": "sepolia", "chain_id": 11155111,
     "deployer": "0x..", "commit": "<git commit>", "start_block": 123,
     "complete": true,
     "token": {"address": "0x..", "symbol": "USDC", "decimals": 6, "test_token": false},
     "contracts": {"Parameters": {"address": "0x..", "tx": "0x..", "block": 123}, ...}}

`start_block` is the block of the first transaction of the deployment (an
event scan starts there); `complete` is false while a deployment is under
way (a deploy that stopped half-way resumes from such a record). The token
is any ERC-20 (symbol and decimals read from the token) or, on a local
chain, a TestToken (`test_token`: true). Agents address it as `Token`
(ABI interfaces/ERC20.json), a TestToken also as `TestToken`. "contracts"
lists each deployed contract by name: Parameters, StakeManager,
TaskRegistry; with disputes OneStepV2 (deployed first: the op set v2
one-step semantics), OneStepVerifier and DisputeGame; VerifierPool with
incentives.

Records written before the format was versioned (a flat {Name: address}
map, or one under "contracts") are still read for their addresses.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

FORMAT = 1
#: the name agents use for the stake and payment token, and the ABI file it uses
TOKEN = "Token"
ABI_FILES = {TOKEN: "ERC20"}


class DeploymentError(ValueError):
    """A deployment record that is missing, unreadable or of an unknown format."""


def record_path(deployments_dir: str | os.PathLike, network: str) -> Path:
    """Where the record of `network` lives."""
    return Path(deployments_dir) / f"{network}.json"


def new_record(network: str, chain_id: int, deployer: str, commit: str, start_block: int) -> dict:
    """An empty record (no token, no contracts, not complete) of a deployment starting now."""
    return {"format": FORMAT, "network": network, "chain_id": int(chain_id), "deployer": str(deployer),
            "commit": commit, "start_block": int(start_block), "complete": False, "token": None,
            "contracts": {}}


def git_commit(root: str | os.PathLike | None = None) -> str:
    """The checked-out commit of `root` (default: this checkout), or "unknown"."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root or Path(__file__).resolve().parent,
                             capture_output=True, text=True, check=True, timeout=10)
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def set_token(record: dict, address: str, symbol: str, decimals: int, test_token: bool) -> None:
    record["token"] = {"address": str(address), "symbol": str(symbol), "decimals": int(decimals),
                       "test_token": bool(test_token)}


def add_contract(record: dict, name: str, address: str, tx: str | None, block: int | None) -> None:
    """Records contract `name` (its creation transaction and block when known)."""
    record["contracts"][name] = {"address": str(address), "tx": tx,
                                 "block": None if block is None else int(block)}


def _check(record: Any, where: str) -> dict:
    if not isinstance(record, dict):
        raise DeploymentError(f"deployment: {where} is not a JSON object")
    fmt = record.get("format")
    if fmt is None:
        return record  # a legacy record: addresses only
    if fmt != FORMAT:
        raise DeploymentError(f"deployment: {where} has format {fmt!r}, this version reads format {FORMAT}")
    for key in ("network", "chain_id", "start_block", "contracts"):
        if key not in record:
            raise DeploymentError(f"deployment: {where} lacks {key!r}")
    if not isinstance(record["contracts"], dict):
        raise DeploymentError(f"deployment: {where}: 'contracts' is not an object")
    for name, entry in record["contracts"].items():
        if not isinstance(entry, dict) or not str(entry.get("address", "")).startswith("0x"):
            raise DeploymentError(f"deployment: {where}: contract {name} has no address")
    token = record.get("token")
    if token is not None and (not isinstance(token, dict) or not str(token.get("address", "")).startswith("0x")
                              or not isinstance(token.get("decimals"), int)):
        raise DeploymentError(f"deployment: {where}: 'token' needs an address and integer decimals")
    return record


def read_record(path: str | os.PathLike) -> dict:
    """The record at `path`; DeploymentError (one line) when it is missing or malformed."""
    p = Path(path)
    if not p.is_file():
        raise DeploymentError(f"deployment: no deployment record {p} (deploy first: docs/deploy.md)")
    try:
        data = json.loads(p.read_text())
    except (OSError, ValueError) as exc:
        raise DeploymentError(f"deployment: {p} is not readable JSON: {exc}") from None
    return _check(data, str(p))


def load_record(deployments_dir: str | os.PathLike, network: str) -> dict:
    return read_record(record_path(deployments_dir, network))


def write_record(path: str | os.PathLike, record: dict) -> Path:
    """Writes `record` atomically (a half-written file is never left behind)."""
    p = Path(path)
    _check(record, str(p))
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp")
    tmp.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, p)
    return p


def addresses(record: dict) -> dict[str, str]:
    """{Name: address} of a record: its contracts, the token as `Token` (and, for a
    TestToken, also as `TestToken`)."""
    if record.get("format") is None:  # legacy: flat or under "contracts"
        flat = record.get("contracts", record)
        out = {k: v for k, v in flat.items() if isinstance(v, str) and v.startswith("0x")}
        if "token" in out:
            out.setdefault(TOKEN, out.pop("token"))
        if "TestToken" in out:
            out.setdefault(TOKEN, out["TestToken"])
        return out
    out = {name: entry["address"] for name, entry in record["contracts"].items()}
    token = record.get("token")
    if token:
        out[TOKEN] = token["address"]
        if token.get("test_token"):
            out["TestToken"] = token["address"]
    return out


def token_decimals(record: dict) -> int:
    """The token's decimals (18 for a legacy record, whose token was a TestToken)."""
    token = record.get("token") if record.get("format") is not None else None
    return int(token["decimals"]) if token else 18


def token_symbol(record: dict) -> str:
    token = record.get("token") if record.get("format") is not None else None
    return str(token["symbol"]) if token else "TT"


def token_of(settings) -> tuple[str, int]:
    """(symbol, decimals) of the token of the deployment an agent's settings name."""
    record = load_record(settings.deployments_dir, settings.network)
    return token_symbol(record), token_decimals(record)


def to_units(amount: float | str, decimals: int) -> int:
    """`amount` tokens in the token's smallest unit, exactly (decimal arithmetic, no float rounding)."""
    from decimal import Decimal, InvalidOperation

    try:
        value = Decimal(str(amount)) * (Decimal(10) ** decimals)
    except InvalidOperation:
        raise ValueError(f"not a token amount: {amount!r}") from None
    if value != value.to_integral_value():
        raise ValueError(f"{amount} has more than {decimals} decimals")
    return int(value)


def from_units(units: int, decimals: int) -> float:
    return int(units) / 10**decimals


# --- ABIs -----------------------------------------------------------------------------
PACKAGE_DIR = Path(__file__).resolve().parent
CHECKOUT_ROOT = PACKAGE_DIR.parent
#: an installed wheel carries interfaces/ and contracts/ here (pyproject.toml)
PACKAGED_ROOT = PACKAGE_DIR / "_data"


def data_root() -> Path:
    """The folder holding interfaces/ and contracts/: the checkout when the package
    runs from one, else the copy shipped inside the installed package."""
    if (CHECKOUT_ROOT / "interfaces").is_dir() and (CHECKOUT_ROOT / "contracts").is_dir():
        return CHECKOUT_ROOT
    return PACKAGED_ROOT


def abi_file(interfaces_dir: str | os.PathLike, name: str) -> Path:
    """The ABI file of contract `name` (`Token`: the ERC-20 ABI).

    A relative `interfaces_dir` is tried from the working directory first; the
    default `interfaces` then falls back to the checkout's or the installed
    package's interfaces/, so an agent runs from any directory.
    """
    file = f"{ABI_FILES.get(name, name)}.json"
    given = Path(interfaces_dir)
    if (given / file).is_file() or given.is_absolute() or str(interfaces_dir) != "interfaces":
        return given / file
    return data_root() / "interfaces" / file
