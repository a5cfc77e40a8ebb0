"""Deployment records and signing accounts for the brownie scripts.

The record's format, reader and writer are offchain/deployment.py's (the
agents read the same file); this module places it at
`deployments/<network>.json` of the checkout (or under $DEPLOYMENTS_DIR) and chooses the account that
signs: a brownie keystore account (`--account NAME`), a private key from the
environment, or an unlocked Anvil account on a local network. `ScriptError`
is a failure the runner prints as one line.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from brownie import accounts, network, web3

from offchain.deployment import addresses, git_commit, read_record, write_record  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
#: where records go: the checkout's deployments/, or DEPLOYMENTS_DIR
DEPLOYMENTS = Path(os.environ.get("DEPLOYMENTS_DIR") or ROOT / "deployments")
LOCAL_NETWORKS = ("development", "anvil")
ERC20_ABI = json.loads((ROOT / "interfaces" / "ERC20.json").read_text())


class ScriptError(ValueError):
    """A script's failure, printed as one line (scripts/run.py)."""


def deployment_path(network_name: str | None = None) -> Path:
    """Path of the deployment record of a network (default: the connected one)."""
    return DEPLOYMENTS / f"{network_name or network.show_active()}.json"


def load_deployment(network_name: str | None = None) -> dict:
    """The deployment record of a network; a one-line error when there is none."""
    try:
        return read_record(deployment_path(network_name))
    except ValueError as exc:
        raise ScriptError(str(exc)) from None


def contract_address(name: str, network_name: str | None = None) -> str:
    """The address of contract `name` (or `Token`) in the record of a network."""
    found = addresses(load_deployment(network_name))
    if name not in found:
        raise ScriptError(f"deployment: {name} is not in {deployment_path(network_name)}")
    return found[name]


def save_deployment(record: dict, network_name: str | None = None, path: Path | None = None) -> Path:
    """Writes the deployment record of a network (atomically) and returns its path."""
    return write_record(path or deployment_path(network_name), record)


def erc20_at(address: str) -> tuple[str, int]:
    """(symbol, decimals) read from the ERC-20 at `address`; ScriptError if it is none."""
    if not web3.is_address(address):
        raise ScriptError(f"deploy: token {address!r} is not an address")
    address = web3.to_checksum_address(address)
    if len(web3.eth.get_code(address)) == 0:
        raise ScriptError(f"deploy: no contract at token address {address} on chain {web3.eth.chain_id}")
    token = web3.eth.contract(address=address, abi=ERC20_ABI)
    try:
        decimals = int(token.functions.decimals().call())
        token.functions.totalSupply().call()
        token.functions.balanceOf(address).call()
    except Exception:  # noqa: BLE001 - any failure means: not an ERC-20 we can use
        raise ScriptError(f"deploy: {address} is not an ERC-20 (decimals/totalSupply/balanceOf failed)") from None
    try:
        symbol = str(token.functions.symbol().call())
    except Exception:  # noqa: BLE001 - symbol is optional in EIP-20
        symbol = "?"
    if not 0 <= decimals <= 36:
        raise ScriptError(f"deploy: token {address} reports {decimals} decimals (0..36 supported)")
    return symbol, decimals


def _keystore(name: str):
    """Brownie's encrypted keystore account `name` (~/.brownie/accounts/NAME.json)."""
    password = os.environ.get("BROWNIE_ACCOUNT_PASSWORD")
    try:
        return accounts.load(name, password=password) if password is not None else accounts.load(name)
    except FileNotFoundError:
        raise ScriptError(f"no brownie account {name!r} (create it: brownie accounts new {name})") from None
    except ValueError as exc:
        raise ScriptError(f"brownie account {name!r}: {exc}") from None


def signer(env_key: str, local_index: int = 0, override=None):
    """The account that signs.

    `override` (an Account, an address unlocked on a local node, an index of
    the local accounts, or the name of a brownie keystore account) wins; then
    the private key in the environment variable `env_key`; then, on a local
    network only, the unlocked account `local_index`.
    """
    if override is not None:
        if hasattr(override, "address"):
            return override
        text = str(override)
        if text.startswith("0x"):
            if network.show_active() not in LOCAL_NETWORKS:
                raise ScriptError(f"an address ({text}) signs only on a local node; use --account NAME")
            return accounts.at(text, force=True)
        if text.isdigit():
            return accounts[int(text)]
        return _keystore(text)
    key = os.environ.get(env_key)
    if key:
        try:
            return accounts.add(key)
        except Exception:  # noqa: BLE001 - never echo the key
            raise ScriptError(f"{env_key} is not a valid private key") from None
    if network.show_active() in LOCAL_NETWORKS:
        return accounts[local_index]
    raise ScriptError(f"no signer on {network.show_active()}: give --account NAME (a brownie keystore "
                      f"account) or set {env_key}")
