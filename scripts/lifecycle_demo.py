"""Walks tasks through the money contracts on a local chain and prints
balances before and after: one task created, claimed, committed and
finalized; one cancelled; one expired.

`python -m scripts.run lifecycle_demo --port 0` (brownie starts Anvil on a
free port; `ANVIL_PORT` or `--port N` picks the port). It refuses to run on a
node it did not start (something already listening on that port), so it
never spends on an unknown chain. The run root is a made-up one: these are
the money paths; `python -m offchain demo` trains and verifies a real run.
"""

from __future__ import annotations

from brownie import Parameters, StakeManager, TaskRegistry, TestToken, accounts, chain, network
from brownie.network import rpc
from web3 import Web3

from offchain.commit import merkle
from offchain.deployment import addresses
from offchain.dispute.tiny import tiny_task
from scripts.deploy import deploy

E18 = 10**18
PAYMENT = 1_000 * E18
STAKE = 100 * E18
CLAIM_PERIOD = 3_600
SOLVE_PERIOD = 86_400
_ROOT, HEADER, HEADER_PROOF = tiny_task()
PROGRAM_ROOT = "0x" + _ROOT.hex()


def _h(text: str) -> str:
    return Web3.keccak(text=text).hex()


def _balances(token, stake_manager, actors: dict) -> dict:
    rows = {}
    for role, account in actors.items():
        rows[role] = (
            token.balanceOf(account) / E18,
            stake_manager.bonded(account) / E18,
            stake_manager.locked(account) / E18,
        )
    return rows


def _print_balances(title: str, rows: dict, registry, stake_manager, token) -> None:
    print(f"\n{title}")
    print(f"  {'role':<10} {'wallet':>12} {'bonded':>10} {'locked':>10}")
    for role, (wallet, bonded, locked) in rows.items():
        print(f"  {role:<10} {wallet:>12.2f} {bonded:>10.2f} {locked:>10.2f}")
    print(
        f"  registry escrow {token.balanceOf(registry) / E18:.2f}, "
        f"stake manager holds {token.balanceOf(stake_manager) / E18:.2f}"
    )


def _create(registry, submitter, tag: str) -> int:
    tx = registry.create_task(
        _h(f"spec:{tag}"),
        PROGRAM_ROOT,
        _h(f"data:{tag}"),
        1_000,
        100,
        PAYMENT,
        STAKE,
        CLAIM_PERIOD,
        SOLVE_PERIOD,
        HEADER,
        HEADER_PROOF,
        {"from": submitter},
    )
    return tx.return_value


def run_demo() -> dict:
    """Deploys, runs the three tasks, returns the balances before and after."""
    governance, treasury, submitter, solver = accounts[0], accounts[1], accounts[2], accounts[3]
    record = deploy(deployer=governance, treasury=treasury, write=True, force=True)
    c = addresses(record)
    token = TestToken.at(c["TestToken"])
    stake_manager = StakeManager.at(c["StakeManager"])
    registry = TaskRegistry.at(c["TaskRegistry"])
    params = Parameters.at(c["Parameters"])
    actors = {"submitter": submitter, "solver": solver, "treasury": treasury}

    for who in (submitter, solver):
        token.mint(who, 10_000 * E18, {"from": who})
        token.approve(registry, 2**256 - 1, {"from": who})
        token.approve(stake_manager, 2**256 - 1, {"from": who})
    stake_manager.bond(2 * STAKE, {"from": solver})
    before = _balances(token, stake_manager, actors)
    _print_balances("balances before", before, registry, stake_manager, token)

    # 1. create -> claim -> commit -> finalize
    done = _create(registry, submitter, "finalized")
    registry.claim_task(done, {"from": solver})
    # a made-up run of 1_000 steps, checkpoint interval 100: the run tree's leaves are the
    # boundary roots S_0, S_100, ..., S_1000, and the final model hash is S_T, its last leaf
    steps = [bytes(Web3.keccak(text=f"S_{t}")) for t in range(0, 1_001, 100)]
    tree = merkle.levels(steps)
    registry.commit_result(
        done, tree[-1][0], steps[-1], merkle.proof(tree, len(steps) - 1), "file:///tmp/artifacts", {"from": solver}
    )
    chain.sleep(params.challenge_window() + 1)
    registry.finalize(done, {"from": governance})
    print(
        f"\ntask {done}: created, claimed, committed, finalized (status {registry.task_status(done)})"
    )

    # 2. create -> cancel
    cancelled = _create(registry, submitter, "cancelled")
    registry.cancel_task(cancelled, {"from": submitter})
    print(f"task {cancelled}: created, cancelled (status {registry.task_status(cancelled)})")

    # 3. create -> claim -> missed deadline -> expire
    expired = _create(registry, submitter, "expired")
    registry.claim_task(expired, {"from": solver})
    chain.sleep(SOLVE_PERIOD + 1)
    registry.expire(expired, {"from": governance})
    print(f"task {expired}: created, claimed, expired (status {registry.task_status(expired)})")

    after = _balances(token, stake_manager, actors)
    _print_balances("balances after", after, registry, stake_manager, token)
    return {"before": before, "after": after, "tasks": (done, cancelled, expired)}


def require_own_node() -> None:
    """SystemExit (one line) unless brownie started the node this script talks to."""
    if not rpc.is_active() or not rpc.is_child():
        host = network.web3.provider.endpoint_uri if network.is_connected() else "?"
        raise SystemExit(f"lifecycle_demo: a node this run did not start is listening at {host}; "
                         "refusing to use it: pick a free port (--port 0, or ANVIL_PORT)")


def main():
    require_own_node()
    run_demo()
