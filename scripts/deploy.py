"""Deploys and wires the whole protocol on any brownie network.

`brownie run scripts/deploy.py [--network NAME]`. The signer is
DEPLOYER_PRIVATE_KEY (or Anvil's first account locally). The stake and
payment token is STAKE_TOKEN, or a fresh TestToken on a local network; the
treasury is TREASURY (default: the deployer). Deployed: Parameters,
StakeManager, TaskRegistry, OneStepVerifier and DisputeGame (NO_DISPUTE=1
leaves the dispute contracts out: nobody can then challenge a result), and
the VerifierPool when INCENTIVES=1. Wiring is one-shot, in the order the
contracts require (verifier pool, then stake manager and registry). Writes
deployments/<network>.json: addresses, chain id, block, git commit.
The same wiring without brownie: offchain/chain/deploy.py (the agents').
"""

from __future__ import annotations

import os

from brownie import (
    DisputeGame,
    OneStepVerifier,
    Parameters,
    StakeManager,
    TaskRegistry,
    TestToken,
    VerifierPool,
    chain,
    network,
)

from scripts.deployment import LOCAL_NETWORKS, git_commit, save_deployment, signer

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes")


def deploy(deployer=None, token=None, treasury=None, dispute: bool | None = None,
           incentives: bool | None = None, write: bool = True) -> dict:
    """Deploys the protocol and wires it once; `dispute` and `incentives`
    default to the NO_DISPUTE / INCENTIVES environment switches.

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
    dispute = not _flag("NO_DISPUTE") if dispute is None else dispute
    incentives = _flag("INCENTIVES") if incentives is None else incentives

    parameters = Parameters.deploy(treasury, tx)
    stake_manager = StakeManager.deploy(token, parameters, tx)
    registry = TaskRegistry.deploy(token, parameters, stake_manager, tx)
    contracts = {}
    dispute_game = ZERO_ADDRESS
    if dispute:
        verifier = OneStepVerifier.deploy(tx)
        dispute_game = DisputeGame.deploy(registry, parameters, verifier, tx)
        contracts.update(OneStepVerifier=verifier.address, DisputeGame=dispute_game.address)
    if incentives:
        pool = VerifierPool.deploy(token, parameters, stake_manager, registry, tx)
        stake_manager.wire_verifier_pool(pool, tx)
        registry.wire_verifier_pool(pool, tx)
        contracts["VerifierPool"] = pool.address
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
            **contracts,
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
