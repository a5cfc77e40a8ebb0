"""`dispute-demo`: one dispute played to its end on a fresh Anvil.

Deploys the protocol (with the dispute game), publishes a task of N steps of
a small digits MLP, lets a solver (faulty with `fault`) commit its run, and a
challenger that replays every step open a dispute; both drivers then play
until the contract ends it, and the winner settles it (`resolve`). With `liar` the solver is honest and the
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

from ..chain import ChainClient
from ..chain.anvil import Anvil, dev_keys
from ..chain.deploy import deploy_all
from ..commit import proofs
from ..commit.roots import final_model
from ..config import Settings
from ..runtime import dataset
from ..runtime.compiler import MLPConfig, compile_mlp
from ..state import INTENT, StateDB
from .driver import DisputeDriver, chain_now, game_view
from .player import CHALLENGER, PHASE_DONE, REASON_NAMES, ROLE_NAMES, SOLVER, Player
from .run import Fault, PartyRun

TOKEN = 10**18


def location_text(by: str, t: int, j: int, e: int, m: int) -> str:
    """`step=T node=J element=E micro=M` where the game fixed a location; a game ended by
    timeout may have ended before it did, so it shows none (zeros there are not a place)."""
    if by == "timeout":
        return "location=none (ended by timeout)"
    return f"step={t} node={j} element={e} micro={m}"


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
    gas_resolve: int = 0

    def line(self) -> str:
        return (f"dispute: winner={self.winner} by={self.by} rounds={self.rounds} gas={self.gas} "
                + location_text(self.by, self.t, self.j, self.e, self.m))


def default_program(steps: int, hidden: int = 8, batch: int = 4, lr: float | None = None, seed: int = 7,
                    loss: str = "mse", optimizer: str = "sgd"):
    """The demo's task: digits, an MLP 64-hidden-10; MSE + SGD (lr 0.5) unless told
    otherwise (op set v2: loss "xent", optimizer "adam", lr 0.01)."""
    data = dataset.load("digits")
    if lr is None:
        lr = 0.01 if optimizer == "adam" else 0.5
    cfg = MLPConfig((data.n_features, hidden, data.n_classes), batch, lr, seed, loss, optimizer)
    return compile_mlp(cfg, data.rows, data.cols), data


def run_demo(steps: int = 50, fault: Fault | None = None, liar: bool = False, stall: str | None = None,
             hidden: int = 8, batch: int = 4, backend: str = "reference",
             echo: Callable[[str], None] = print, restart_after: int | None = None,
             runs: tuple[PartyRun, PartyRun] | None = None, loss: str = "mse", optimizer: str = "sgd",
             program=None, interval: int | None = None, restart_before_resolve: bool = False) -> DemoResult:
    """Play one dispute on a fresh Anvil and return its outcome.

    `restart_after` rebuilds both drivers (from their SQLite state) after
    that many transactions, as a daemon restart would. `runs` reuses
    already computed (solver, challenger) runs (their interval is the
    task's). `loss` / `optimizer` pick the MLP's (op set v2: "xent",
    "adam"); `program` = (Program, Dataset) replaces the default task
    altogether. `interval` is the task's checkpoint interval c (default
    min(10, steps)): the run tree holds the boundary steps, and a fault
    between two boundaries is found through the SEGMENT phase.
    `restart_before_resolve` rebuilds both drivers after the game ended
    and before it is resolved, with the winner's `resolve` left as a bare
    intent in its state (a daemon killed between recording and sending it).
    """
    if stall not in (None, "solver", "challenger"):
        raise ValueError(f"dispute: --stall must be solver or challenger, not {stall!r}")
    program, data = program if program is not None else default_program(
        steps, hidden, batch, loss=loss, optimizer=optimizer)
    if runs is not None:
        solver_run, challenger_run = runs
        interval = solver_run.interval
    else:
        interval = min(10, steps) if interval is None else interval
        if not 1 <= interval <= steps:
            raise ValueError(f"dispute: checkpoint interval must be in 1..{steps}, got {interval}")
        honest = PartyRun(program, data.train, steps, backend, interval=interval)
        if fault is None:
            fault = Fault(steps // 2 + 1, len(program.step) // 2, 1)
        faulty = PartyRun(program, data.train, steps, backend, fault=fault, base=honest, interval=interval)
        solver_run, challenger_run = (honest, faulty) if liar else (faulty, honest)
    echo(f"runs: solver 0x{solver_run.run_root.hex()} challenger 0x{challenger_run.run_root.hex()}")

    keys = dev_keys(10)
    deployer, treasury, submitter, solver, challenger = keys[:5]
    addr = {k: Account.from_key(k).address for k in keys[:5]}
    with Anvil() as node, tempfile.TemporaryDirectory() as tmp:
        deploy_all(node.url, deployer, addr[treasury], Path(tmp) / "interfaces", Path(tmp) / "deployments")
        settings = Settings(rpc_url=node.url, deployments_dir=str(Path(tmp) / "deployments"),
                            interfaces_dir=str(Path(tmp) / "interfaces"), state_dir=str(Path(tmp) / "state"))
        chain = {k: ChainClient(settings, k) for k in (deployer, treasury, submitter, solver, challenger)}
        db = {k: StateDB(Path(tmp) / f"{name}.sqlite") for name, k in (("solver", solver),
                                                                        ("challenger", challenger))}
        reg, sm = (chain[deployer].contract(n).address for n in ("TaskRegistry", "StakeManager"))
        game = chain[deployer].contract("DisputeGame").address
        for k in (submitter, solver, challenger):
            chain[deployer].transact("TestToken", "mint", addr[k], 1_000 * TOKEN)
        chain[submitter].transact("TestToken", "approve", reg, 10 * TOKEN)
        header, header_proof = proofs.header_proof(program)
        chain[submitter].transact("TaskRegistry", "create_task", b"\x01" * 32, program.root(), data.root(),
                                  steps, interval, 10 * TOKEN, 100 * TOKEN, 600, 3600, header, header_proof)
        task_id = chain[submitter].call("TaskRegistry", "task_count")
        chain[solver].transact("TestToken", "approve", sm, 100 * TOKEN)
        chain[solver].transact("StakeManager", "bond", 100 * TOKEN)
        chain[solver].transact("TaskRegistry", "claim_task", task_id)
        chain[solver].transact("TaskRegistry", "commit_result", task_id, solver_run.run_root,
                               *final_model(solver_run.step_roots), "local")
        echo(f"task {task_id}: {steps} steps committed by the solver (checkpoint interval {interval})")

        bond = chain[challenger].call("Parameters", "challenger_bond")
        chain[challenger].transact("TestToken", "approve", game, bond)
        c_player, s_player = Player(CHALLENGER, challenger_run), Player(SOLVER, solver_run)
        r = chain[challenger].transact("DisputeGame", "open_dispute", *c_player.open_args(task_id))
        gas_open = int(r["gasUsed"])
        dispute_id = chain[challenger].call("DisputeGame", "dispute_count")
        echo(f"dispute {dispute_id} opened (gas {gas_open})")

        def drivers():
            return (DisputeDriver(chain[solver], db[solver], s_player, dispute_id,
                                  stall_after=2 if stall == "solver" else None),
                    DisputeDriver(chain[challenger], db[challenger], c_player, dispute_id,
                                  stall_after=2 if stall == "challenger" else None))

        sd, cd = drivers()
        sent = 0
        while game_view(chain[deployer], dispute_id).phase != PHASE_DONE:
            acted = False
            for d in (sd, cd):
                if game_view(chain[deployer], dispute_id).phase != PHASE_DONE and d.step():
                    acted, sent = True, sent + 1
                    g = game_view(chain[deployer], dispute_id)
                    move = max(d.db.actions(d.prefix), key=lambda a: a.data.get("block", -1))
                    echo(f"  {ROLE_NAMES[d.player.role]:>10} {move.key.split(':')[2]} "
                         f"(gas {move.data.get('gas_used', 0)}): phase={g.phase} height={g.height} "
                         f"moves={g.moves}")
                    if restart_after is not None and sent == restart_after:
                        echo("  (drivers restarted)")
                        sd, cd = drivers()
            if not acted:  # both wait: the party to move stalls; let its deadline pass
                g = game_view(chain[deployer], dispute_id)
                node.rpc("evm_increaseTime", hex(g.deadline - chain_now(chain[deployer]) + 1))
                node.mine(1)
        g = game_view(chain[deployer], dispute_id)
        # the end only records the outcome: the winner (the challenger when both lost; anyone may) settles it
        if restart_before_resolve:
            for d in (sd, cd):  # killed after recording the intent, before signing anything
                d.db.set_action(d.resolve_key, INTENT, data={"call": "DisputeGame.resolve", "tx_hashes": []})
            echo("  (drivers restarted before resolve)")
            sd, cd = drivers()
        resolver = sd if g.winner == SOLVER else cd
        if resolver.resolve():
            echo(f"  {ROLE_NAMES[resolver.player.role]:>10} resolve (gas {resolver.resolve_gas})")
        call = chain[deployer].call
        for k in (solver, challenger, treasury):  # bond payouts are credited: pull them
            if call("DisputeGame", "credit", addr[k]):
                chain[k].transact("DisputeGame", "claim_credit")
        balances = {name: call("TestToken", "balanceOf", addr[k])
                    for name, k in (("submitter", submitter), ("solver", solver),
                                    ("challenger", challenger), ("treasury", treasury))}
        balances["solver_bonded"] = call("StakeManager", "bonded", addr[solver])
        res = DemoResult(ROLE_NAMES[g.winner], REASON_NAMES[g.reason], g.moves,
                         gas_open + sd.gas + cd.gas, g.t, g.j, g.e, g.m, sd.gas, cd.gas, gas_open,
                         max(sd.one_step_gas, cd.one_step_gas), balances,
                         sd.resolve_gas + cd.resolve_gas)
    return res
