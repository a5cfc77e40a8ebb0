"""Deployment records and signing accounts for the brownie scripts.

Owns `deployments/<network>.json` (read and write) and the choice of the
account that signs: a private key from the environment on a real network,
an unlocked Anvil account on the local `development` network.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from brownie import accounts, network

ROOT = Path(__file__).resolve().parent.parent
DEPLOYMENTS = ROOT / "deployments"
LOCAL_NETWORKS = ("development", "anvil")


def deployment_path(network_name: str | None = None) -> Path:
    """Path of the deployment record of a network (default: the connected one)."""
    return DEPLOYMENTS / f"{network_name or network.show_active()}.json"


def load_deployment(network_name: str | None = None) -> dict:
    """The deployment record of a network; a clear error when there is none."""
    path = deployment_path(network_name)
    if not path.exists():
        raise FileNotFoundError(f"no deployment record at {path}: run scripts/deploy.py first")
    return json.loads(path.read_text())


def save_deployment(record: dict, network_name: str | None = None) -> Path:
    """Writes the deployment record of a network and returns its path."""
    path = deployment_path(network_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    return path


def git_commit() -> str:
    """The checked-out commit, or "unknown" outside a git checkout."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def signer(env_key: str, local_index: int = 0, override=None):
    """The account that signs.

    `override` (an Account, an address or an index of the local accounts)
    wins; then the private key in the environment variable `env_key`; then,
    on a local network only, the unlocked account `local_index`.
    """
    if override is not None:
        if hasattr(override, "address"):
            return override
        text = str(override)
        if text.startswith("0x"):
            return accounts.at(text, force=True)
        return accounts[int(text)]
    key = os.environ.get(env_key)
    if key:
        return accounts.add(key)
    if network.show_active() in LOCAL_NETWORKS:
        return accounts[local_index]
    raise RuntimeError(f"set {env_key} to the private key that signs on {network.show_active()}")
