"""Deploys and wires the money contracts on any brownie network.

`brownie run scripts/deploy.py [--network NAME]`. The signer is
DEPLOYER_PRIVATE_KEY (or Anvil's first account locally). The stake and
payment token is STAKE_TOKEN, or a fresh TestToken on a local network; the
treasury is TREASURY (default: the deployer); DISPUTE_GAME, when set, is
wired as the dispute contract (otherwise the deployment has none). Writes
deployments/<network>.json: addresses, chain id, block, git commit.
"""

from __future__ import annotations

import os

from brownie import Parameters, StakeManager, TaskRegistry, TestToken, chain, network

from scripts.deployment import LOCAL_NETWORKS, git_commit, save_deployment, signer

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


def deploy(deployer=None, token=None, treasury=None, dispute_game=None, write: bool = True) -> dict:
    """Deploys Parameters, StakeManager and TaskRegistry, wires them once.

    Returns the deployment record (also written to deployments/ if `write`).
    """
    deployer = signer("DEPLOYER_PRIVATE_KEY", override=deployer)
    tx = {"from": deployer}
    token = token or os.environ.get("STAKE_TOKEN")
    if token is None:
        if network.show_active() not in LOCAL_NETWORKS:
            raise RuntimeError("set STAKE_TOKEN to the ERC-20 address used for stakes and payments")
        token = TestToken.deploy("Test stake", "TST", tx)
    treasury = treasury or os.environ.get("TREASURY") or deployer
    dispute_game = dispute_game or os.environ.get("DISPUTE_GAME") or ZERO_ADDRESS

    parameters = Parameters.deploy(treasury, tx)
    stake_manager = StakeManager.deploy(token, parameters, tx)
    registry = TaskRegistry.deploy(token, parameters, stake_manager, tx)
    stake_manager.wire(registry, dispute_game, tx)
    registry.wire(dispute_game, tx)

    record = {
        "network": network.show_active(),
        "chain_id": chain.id,
        "block": chain.height,
        "git_commit": git_commit(),
        "deployer": str(deployer),
        "contracts": {
            "token": str(token),
            "Parameters": parameters.address,
            "StakeManager": stake_manager.address,
            "TaskRegistry": registry.address,
            "DisputeGame": str(dispute_game),
        },
    }
    if write:
        path = save_deployment(record)
        print(f"deployment written to {path}")
    return record


def main():
    record = deploy()
    for name, address in record["contracts"].items():
        print(f"{name:>14}: {address}")
