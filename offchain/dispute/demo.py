"""`dispute-demo`: one dispute played to its end on a fresh Anvil.

Deploys the protocol (with the dispute game), publishes a task of N steps of
a small digits MLP, lets a solver (faulty with `fault`) commit its run, and a
challenger that replays every step open a dispute; both drivers then play
until the contract ends it. With `liar` the solver is honest and the
challenger's run carries the fault; with `stall` that party stops answering
after its first moves. Returns a `DemoResult` whose `line()` is the demo's
last line.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account

from ..chain.anvil import Anvil, dev_keys
from ..chain.deploy import deploy_all
from ..runtime import dataset
from ..runtime.compiler import MLPConfig, compile_mlp
from .driver import Chain, DisputeDriver
from .player import CHALLENGER, PHASE_DONE, REASON_NAMES, ROLE_NAMES, SOLVER, Player
from .run import Fault, PartyRun

TOKEN = 10**18


@dataclass
class DemoResult:
    winner: str
    by: str
    rounds: int
    gas: int
    t: int
    j: int
    e: int
    m: int
    gas_solver: int
    gas_challenger: int
    gas_open: int
    gas_one_step: int
    balances: dict[str, int]

    def line(self) -> str:
        return (f"dispute: winner={self.winner} by={self.by} rounds={self.rounds} gas={self.gas} "
                f"step={self.t} node={self.j} element={self.e} micro={self.m}")


def default_program(steps: int, hidden: int = 8, batch: int = 4, lr: float = 0.5, seed: int = 7):
    """The demo's task: digits, an MLP 64-hidden-10, SGD."""
    data = dataset.load("digits")
    cfg = MLPConfig((data.n_features, hidden, data.n_classes), batch, lr, seed)
    return compile_mlp(cfg, data.rows, data.cols), data


def run_demo(steps: int = 50, fault: Fault | None = None, liar: bool = False, stall: str | None = None,
             hidden: int = 8, batch: int = 4, backend: str = "reference",
             echo: Callable[[str], None] = print, restart_after: int | None = None,
             runs: tuple[PartyRun, PartyRun] | None = None) -> DemoResult:
    """Play one dispute on a fresh Anvil and return its outcome.

    `restart_after` rebuilds both drivers (from their SQLite state) after
    that many transactions, as a daemon restart would. `runs` reuses
    already computed (solver, challenger) runs.
    """
    if stall not in (None, "solver", "challenger"):
        raise ValueError(f"dispute: --stall must be solver or challenger, not {stall!r}")
    program, data = default_program(steps, hidden, batch)
    if runs is not None:
        solver_run, challenger_run = runs
    else:
        honest = PartyRun(program, data.train, steps, backend)
        if fault is None:
            fault = Fault(steps // 2 + 1, len(program.step) // 2, 1)
        faulty = PartyRun(program, data.train, steps, backend, fault=fault, base=honest)
        solver_run, challenger_run = (honest, faulty) if liar else (faulty, honest)
    echo(f"runs: solver 0x{solver_run.run_root.hex()[:16]}.. challenger 0x{challenger_run.run_root.hex()[:16]}..")

    keys = dev_keys(10)
    deployer, treasury, submitter, solver, challenger = keys[:5]
    addr = {k: Account.from_key(k).address for k in keys[:5]}
    with Anvil() as node, tempfile.TemporaryDirectory() as tmp:
        addrs = deploy_all(node.url, deployer, addr[treasury], Path(tmp) / "interfaces", Path(tmp) / "deployments",
                           dispute=True)
        chain = Chain(node.url, addrs)
        reg, sm, game = addrs["TaskRegistry"], addrs["StakeManager"], addrs["DisputeGame"]
        for k in (submitter, solver, challenger):
            chain.send(k, "TestToken", "mint", addr[k], 1_000 * TOKEN)
        chain.send(submitter, "TestToken", "approve", reg, 10 * TOKEN)
        r = chain.send(submitter, "TaskRegistry", "create_task", b"\x01" * 32, program.root(), data.root(),
                       steps, steps, 10 * TOKEN, 100 * TOKEN, 600, 3600)
        task_id = chain.call("TaskRegistry", "task_count")
        chain.send(solver, "TestToken", "approve", sm, 100 * TOKEN)
        chain.send(solver, "StakeManager", "bond", 100 * TOKEN)
        chain.send(solver, "TaskRegistry", "claim_task", task_id)
        chain.send(solver, "TaskRegistry", "commit_result", task_id, solver_run.run_root, b"\x02" * 32, "local")
        echo(f"task {task_id}: {steps} steps committed by the solver")

        bond = chain.call("Parameters", "challenger_bond")
        chain.send(challenger, "TestToken", "approve", game, bond)
        c_player, s_player = Player(CHALLENGER, challenger_run), Player(SOLVER, solver_run)
        r = chain.send(challenger, "DisputeGame", "open_dispute", *c_player.open_args(task_id))
        gas_open = int(r["gasUsed"])
        dispute_id = chain.call("DisputeGame", "dispute_count")
        echo(f"dispute {dispute_id} opened (gas {gas_open})")

        def drivers():
            return (DisputeDriver(chain, solver, s_player, dispute_id, Path(tmp) / "solver.sqlite",
                                  stall_after=2 if stall == "solver" else None),
                    DisputeDriver(chain, challenger, c_player, dispute_id, Path(tmp) / "challenger.sqlite",
                                  stall_after=2 if stall == "challenger" else None))

        sd, cd = drivers()
        sent = 0
        while chain.game(dispute_id).phase != PHASE_DONE:
            acted = False
            for d in (sd, cd):
                if chain.game(dispute_id).phase != PHASE_DONE and d.step():
                    acted, sent = True, sent + 1
                    g = chain.game(dispute_id)
                    echo(f"  {ROLE_NAMES[d.player.role]:>10} moved: phase={g.phase} height={g.height} "
                         f"moves={g.moves}")
                    if restart_after is not None and sent == restart_after:
                        echo("  (drivers restarted)")
                        sd, cd = drivers()
            if not acted:  # both wait: the party to move stalls; let its deadline pass
                g = chain.game(dispute_id)
                chain.advance(g.deadline - chain.now() + 1)
        g = chain.game(dispute_id)
        balances = {name: chain.call("TestToken", "balanceOf", addr[k])
                    for name, k in (("submitter", submitter), ("solver", solver),
                                    ("challenger", challenger), ("treasury", treasury))}
        balances["solver_bonded"] = chain.call("StakeManager", "bonded", addr[solver])
        res = DemoResult(ROLE_NAMES[g.winner], REASON_NAMES[g.reason], g.moves,
                         gas_open + sd.gas + cd.gas, g.t, g.j, g.e, g.m, sd.gas, cd.gas, gas_open,
                         max(sd.one_step_gas, cd.one_step_gas), balances)
    return res
