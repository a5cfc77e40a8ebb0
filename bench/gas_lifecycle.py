"""Gas of every call of the task lifecycle on the money contracts.

Run `.venv/bin/python bench/gas_lifecycle.py`: starts its own Anvil on a
free port (through brownie), deploys, walks one task through create,
claim, commit and finalize, one through cancel, one through expiry and
one through a lost dispute (an EOA stands in for the dispute game), plus
the staking calls, and prints the gas of each call. Ends with the line
`lifecycle gas total: N` (the sum of the calls listed, deployments
excluded).
"""

from __future__ import annotations

import contextlib
import io
import os
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
E18 = 10**18


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _quiet(fn, *args):
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*args)


def main() -> int:
    os.environ["PATH"] = f"{ROOT / 'node_modules' / '.bin'}:{os.environ['PATH']}"
    from brownie import network, project
    from brownie._config import CONFIG

    proj = _quiet(project.load, str(ROOT))
    proj.load_config()
    CONFIG.networks["development"]["cmd_settings"]["port"] = _free_port()
    _quiet(network.connect, "development")
    try:
        return _measure(proj)
    finally:
        _quiet(network.disconnect)


def _measure(proj) -> int:
    from brownie import accounts, chain

    gov, treasury, submitter, solver, challenger, game = (accounts[i] for i in range(6))
    gas: list[tuple[str, int]] = []

    def call(label, fn, *args):
        tx = _quiet(fn, *args)
        gas.append((label, tx.gas_used))
        return tx

    def deploy(contract, *args):
        c = _quiet(contract.deploy, *args)
        print(f"  deploy {contract._name:<14} {c.tx.gas_used:>10,}")
        return c

    print("deployments (not in the total)")
    token = deploy(proj.TestToken, "Stake", "STK", {"from": gov})
    params = deploy(proj.Parameters, treasury, {"from": gov})
    sm = deploy(proj.StakeManager, token, params, {"from": gov})
    reg = deploy(proj.TaskRegistry, token, params, sm, {"from": gov})
    _quiet(sm.wire, reg, game, {"from": gov})
    _quiet(reg.wire, game, {"from": gov})
    for who in (submitter, solver):
        _quiet(token.mint, who, 10**6 * E18, {"from": who})
        _quiet(token.approve, sm, 2**256 - 1, {"from": who})
        _quiet(token.approve, reg, 2**256 - 1, {"from": who})

    sys.path.insert(0, str(ROOT))
    from offchain.dispute.tiny import tiny_task

    program_root, header, header_proof = tiny_task()

    def create(tag):
        args = [
            "0x" + tag * 32,
            program_root,
            "0x" + "33" * 32,
            1_000,
            100,
            1_000 * E18,
            100 * E18,
            3_600,
            86_400,
            header,
            header_proof,
            {"from": submitter},
        ]
        return call(f"create_task ({label_of[tag]})", reg.create_task, *args).return_value

    # a 1_000-step run checkpointed every 100 steps (the tasks' num_steps and
    # interval): the run tree has n_b = 11 boundary leaves S_b(0)..S_b(10),
    # the final model is S_T, leaf n_b - 1 (modules/runtree.vy)
    from offchain.commit import merkle

    n_b = 1_000 // 100 + 1
    leaves = [t.to_bytes(32, "big") for t in range(1, n_b + 1)]
    tree = merkle.levels(leaves)
    run_root, final_model, final_proof = tree[-1][0], leaves[n_b - 1], merkle.proof(tree, n_b - 1)

    label_of = {"a1": "finalized", "b2": "cancelled", "c3": "expired", "d4": "disputed"}
    call("bond", sm.bond, 500 * E18, {"from": solver})

    t = create("a1")
    call("claim_task", reg.claim_task, t, {"from": solver})
    call(
        "commit_result",
        reg.commit_result,
        t,
        run_root,
        final_model,
        final_proof,
        "http://127.0.0.1:8000/artifacts/0x" + "66" * 32,
        {"from": solver},
    )
    chain.sleep(params.challenge_window() + 1)
    call("finalize", reg.finalize, t, {"from": challenger})

    t = create("b2")
    call("cancel_task", reg.cancel_task, t, {"from": submitter})

    t = create("c3")
    call("claim_task (expired)", reg.claim_task, t, {"from": solver})
    chain.sleep(86_400 + 1)
    call("expire", reg.expire, t, {"from": challenger})

    t = create("d4")
    call("claim_task (disputed)", reg.claim_task, t, {"from": solver})
    call(
        "commit_result (disputed)",
        reg.commit_result,
        t,
        run_root,
        final_model,
        final_proof,
        "ipfs://run",
        {"from": solver},
    )
    call("on_dispute_opened", reg.on_dispute_opened, t, challenger, {"from": game})
    call("on_dispute_opened (2nd)", reg.on_dispute_opened, t, gov, {"from": game})
    call("on_dispute_closed", reg.on_dispute_closed, t, {"from": game})
    call("on_solver_lost", reg.on_solver_lost, t, challenger, 1, {"from": game})

    call("request_unbond", sm.request_unbond, 100 * E18, {"from": solver})
    chain.sleep(params.unbonding_delay() + 1)
    call("withdraw", sm.withdraw, {"from": solver})

    print("\nlifecycle calls")
    for label, used in gas:
        print(f"  {label:<28} {used:>10,}")
    total = sum(used for _, used in gas)
    print(f"lifecycle gas total: {total}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
