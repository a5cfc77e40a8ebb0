"""`make demo`: a whole local network in one command, and the harness the
end-to-end tests share.

`LocalNetwork` starts Anvil on a free port (one block a second), deploys and
wires the contracts with web3.py (the dispute game included), funds the roles with the test token, serves
an artifact store, and starts role daemons as subprocesses (`python -m
offchain ...`), each with its own key, state directory and store cache.
Deadlines are real chain time; `warp` moves Anvil's clock forward (a local
convenience, standing in for waiting out the challenge window). `stop`
terminates everything it started.

With `incentives=True` the VerifierPool is deployed too, with the shortest
windows the parameter bounds allow (`INCENTIVE_PARAMETERS`);
`set_forced_rate` fixes the forced-error rate of later claims (1_000_000 ppm,
above the governance bound, is written straight into Anvil's storage: every
task forced, for deterministic tests), and `walk_incentives` drives one task
through the incentive timeline (verification, reveals, secret, challenge
window, settlement) with `warp`, waiting for the daemons at each stage.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from eth_account import Account
from rich.console import Console
from rich.table import Table

from .chain import ChainClient
from .chain.anvil import Anvil, dev_keys, free_port
from .chain.deploy import ROOT, Deployer, deploy_all
from .config import Settings, load_settings
from .state import StateDB
from .store import HttpStore, LocalStore

ROLES = {"deployer": 0, "submitter": 1, "solver": 2, "verifier": 3, "challenger": 4, "treasury": 9}
FUNDS = 1_000 * 10**18
#: windows of a quick local run with the incentive layer (each the bound's minimum, 10 minutes)
INCENTIVE_PARAMETERS = {"verification_window": 600, "reveal_window": 600, "challenge_window": 600}
#: Parameters.vy's bound on forced_error_rate_ppm (PPM // 10)
GOVERNANCE_MAX_RATE_PPM = 100_000
PPM = 1_000_000


def storage_slot(name: str, variable: str) -> int:
    """The storage slot of a top-level variable of contract `name` (vyper -f layout)."""
    vyper = Path(sys.executable).with_name("vyper")
    out = subprocess.run([str(vyper), "-f", "layout", "-p", str(ROOT), str(ROOT / "contracts" / f"{name}.vy")],
                         capture_output=True, text=True, cwd=ROOT, check=True)
    layout = json.loads(out.stdout)["storage_layout"]
    if variable not in layout:
        raise ValueError(f"demo: {name} has no storage variable {variable}")
    return int(layout[variable]["slot"])


@dataclass
class LocalNetwork:
    workdir: Path
    samples: int = 3
    block_time: float = 1.0
    incentives: bool = False
    anvil: Anvil | None = None
    store_url: str = ""
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    keys: list[str] = field(default_factory=lambda: dev_keys(10))

    def address(self, role: str) -> str:
        return Account.from_key(self.keys[ROLES[role]]).address

    def start(self) -> LocalNetwork:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.anvil = Anvil(block_time=self.block_time).start()
        deploy_all(self.anvil.url, self.keys[0], self.address("treasury"),
                   self.workdir / "interfaces", self.workdir / "deployments",
                   parameters=INCENTIVE_PARAMETERS if self.incentives else None, incentives=self.incentives)
        for role in ("submitter", "solver", "verifier", "challenger"):
            self.mint(role, FUNDS)
        self.start_store()
        return self

    def deployer(self) -> Deployer:
        return Deployer(self.anvil.url, self.keys[0])

    def mint(self, role: str, amount: int) -> None:
        """Mint `amount` test tokens to `role`."""
        self.deployer().call("TestToken", self.chain().contract("TestToken").address, "mint",
                             self.address(role), amount)

    def set_forced_rate(self, ppm: int) -> None:
        """The forced-error rate of later claims: through governance within its bound,
        above it (up to 1_000_000: every task forced) by writing the parameter's slot."""
        if not 0 <= ppm <= PPM:
            raise ValueError(f"demo: forced-error rate must be in [0, {PPM}] ppm, got {ppm}")
        params = self.chain().contract("Parameters").address
        if ppm <= GOVERNANCE_MAX_RATE_PPM:
            self.deployer().call("Parameters", params, "set_parameter", "forced_error_rate_ppm", ppm)
        else:
            slot = storage_slot("Parameters", "forced_error_rate_ppm")
            self.anvil.rpc("anvil_setStorageAt", params, hex(slot), "0x" + ppm.to_bytes(32, "big").hex())
        if int(self.chain().call("Parameters", "forced_error_rate_ppm")) != ppm:
            raise RuntimeError("demo: the forced-error rate did not change")

    def start_store(self) -> None:
        port = free_port()
        self.store_url = f"http://127.0.0.1:{port}"
        self.spawn("store", "serve", "--port", str(port), role_key="deployer")
        store = HttpStore(self.store_url, retries=1)
        for _ in range(100):
            try:
                if store.session.get(self.store_url + "/health", timeout=1).ok:
                    return
            except Exception:  # noqa: BLE001 - still starting
                time.sleep(0.1)
        raise RuntimeError("demo: the artifact store did not start")

    def env(self, name: str, role_key: str) -> dict[str, str]:
        base = self.workdir / name
        return {"TT_RPC_URL": self.anvil.url, "TT_PRIVATE_KEY": self.keys[ROLES[role_key]],
                "TT_DEPLOYMENTS_DIR": str(self.workdir / "deployments"),
                "TT_INTERFACES_DIR": str(self.workdir / "interfaces"),
                "TT_STORE_DIR": str(self.workdir / "store" if name == "store" else base / "cache"),
                "TT_STORE_URL": "" if name == "store" else self.store_url,
                "TT_STATE_DIR": str(base / "state"), "TT_POLL_INTERVAL": "0.3",
                "TT_SAMPLES": str(self.samples)}

    def settings(self, name: str, role_key: str | None = None) -> Settings:
        return load_settings(env=self.env(name, role_key or name))

    def spawn(self, name: str, *args: str, role_key: str | None = None,
              extra_env: dict[str, str] | None = None) -> subprocess.Popen:
        """Start `python -m offchain <args>` as daemon `name` (log in workdir/<name>.log)."""
        env = {**os.environ, **self.env(name, role_key or name), **(extra_env or {})}
        log = open(self.workdir / f"{name}.log", "ab")
        p = subprocess.Popen([sys.executable, "-m", "offchain", *args], env=env, stdout=log,
                             stderr=subprocess.STDOUT, cwd=Path(__file__).resolve().parents[1],
                             start_new_session=True)
        self.procs[name] = p
        return p

    def kill(self, name: str, sig: int = 9) -> None:
        p = self.procs.pop(name, None)
        if p is not None and p.poll() is None:
            os.killpg(p.pid, sig)
            p.wait(timeout=30)

    def log(self, name: str) -> str:
        p = self.workdir / f"{name}.log"
        return p.read_text(errors="replace") if p.exists() else ""

    def db(self, name: str) -> StateDB:
        """The state of daemon `name` (solver*/verifier*/submitter*: that role's database)."""
        role = next((r for p, r in (("solver", "solve"), ("verifier", "verify"), ("submitter", "submit"))
                     if name.startswith(p)), name)
        return StateDB(self.workdir / name / "state" / f"{role}.db")

    def chain(self, role: str = "deployer") -> ChainClient:
        return ChainClient(self.settings(role, role))

    def warp(self, seconds: int) -> None:
        self.anvil.rpc("evm_increaseTime", hex(seconds))
        self.anvil.mine(1)

    def wait(self, cond, timeout: float, what: str, poll: float = 0.3):
        end = time.time() + timeout
        while time.time() < end:
            v = cond()
            if v:
                return v
            for name, p in self.procs.items():
                if p.poll() is not None and name != "submitter":
                    raise RuntimeError(f"demo: {name} exited ({p.returncode}):\n{self.log(name)[-2000:]}")
            time.sleep(poll)
        raise TimeoutError(f"demo: timed out after {timeout:.0f}s waiting for {what}")

    def stop(self) -> None:
        for name in list(self.procs):
            self.kill(name, 15)
        if self.anvil:
            self.anvil.stop()

    def __enter__(self) -> LocalNetwork:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def gas_of(db: StateDB) -> int:
    return sum(a.data.get("gas_used", 0) for a in db.actions())


def held_out_accuracy(net: LocalNetwork, tid: int) -> float:
    """Accuracy of the committed final model on the task's held-out set."""
    from .roles.registry import artifact_uri, get_task
    from .roles.task import Checkpoint, Manifest, TaskSpec, decode_arrays
    from .runtime.compiler import accuracy
    from .runtime.dataset import from_bits

    store = HttpStore(net.store_url, cache=LocalStore(net.workdir / "demo-cache"))
    chain = net.chain()
    task = get_task(chain, tid)
    spec = TaskSpec.from_bytes(store.get(task.spec_hash))
    _, (train,) = decode_arrays(store.get(spec.data))
    _, (test_x, test_y) = decode_arrays(store.get(spec.holdout))
    manifest = Manifest.from_bytes(store.get(artifact_uri(chain, tid)))
    final = Checkpoint.from_bytes(store.get(manifest.final_model))
    return accuracy(spec.compile(train), final.state, from_bits(test_x), np.asarray(test_y[0], np.int64))


def _accuracy_or_none(net: LocalNetwork, tid: int) -> float | None:
    """held_out_accuracy, or None when the final model cannot be had (a withholding solver)."""
    from .store import StoreError

    try:
        return held_out_accuracy(net, tid)
    except (StoreError, ValueError):
        return None


#: verifier phases after which a dispute it opened is over
DISPUTE_ENDS = ("won", "lost", "missed")


def dispute_outcome(net: LocalNetwork, dispute_id: int | None) -> str:
    """dispute-demo's last line for a dispute the daemons played (gas: open plus both sides' moves)."""
    from .roles.disputes import dispute_gas, outcome_line

    if dispute_id is None:
        return "dispute: none opened"
    vdb, sdb = net.db("verifier"), net.db("solver")
    opened = next((a.data.get("gas_used", 0) for a in vdb.actions("open:")), 0)
    gas = opened + dispute_gas(vdb, dispute_id) + dispute_gas(sdb, dispute_id)
    return outcome_line(net.chain(), dispute_id, gas)


def incentive_outcome(net: LocalNetwork, tid: int) -> dict:
    """What the verifier daemon got from task `tid` (VerifierSettled) and whether it was forced."""
    from .roles.forced import incentive

    chain = net.chain()
    inc = incentive(chain, tid)
    me = net.address("verifier")
    evs = chain.contract("VerifierPool").events.VerifierSettled.get_logs(
        from_block=0, argument_filters={"task_id": tid, "verifier": me})
    fee = sum(int(e.args["fee_share"]) for e in evs)
    award = sum(int(e.args["award_share"]) for e in evs)
    forfeited = sum(int(e.args["forfeited"]) for e in evs)
    jackpot = int(chain.call("VerifierPool", "jackpot"))
    flagged = bool(chain.call("VerifierPool", "attestation", tid, me)[4])
    line = (f"forced={bool(inc['forced'])} flagged={flagged} verifier fee share {fee / 1e18:g}, "
            f"jackpot award {award / 1e18:g}, forfeited {forfeited / 1e18:g}; jackpot now {jackpot / 1e18:g}")
    return {"forced": bool(inc["forced"]), "flagged": flagged, "fee_share": fee, "award": award,
            "forfeited": forfeited, "jackpot": jackpot, "line": line}


#: the stages of `walk_incentives`, in order
INCENTIVE_STAGES = ("attested", "revealed", "secret", "rechecked", "disputed", "finalized", "proved",
                    "settled")


def walk_incentives(net: LocalNetwork, tid: int, verifiers: tuple[str, ...] = ("verifier",),
                    on=None, timeout: float = 300) -> dict[str, float]:
    """Drive committed task `tid` through the incentive timeline (docs/protocol.md
    "Incentives") with `warp`, waiting for the daemons at each stage:

    attested   every verifier daemon committed its attestation (in the window);
    revealed   after the verification window: every verifier revealed;
    secret     after the reveal window: the solver revealed its secret;
    rechecked  (a forced task) every verifier checked the revealed root by its own
               full replay (and disputed it if wrong);
    disputed   (a flagged task revealed not forced: a real fault) every flagger's
               dispute ended (the daemons play it; no warp);
    finalized  (the task still committed) after the challenge window: the solver
               finalized the task;
    proved     (finalized) every verifier proved its values in the report window;
    settled    after the report window (at once for a rejected task): every
               verifier settled.

    `on(stage)` runs at each stage before the next warp (tests check money or
    act there). Returns the wall seconds of each stage."""
    from .roles.forced import incentive
    from .roles.registry import COMMITTED, FINALIZED, get_task

    chain = net.chain()
    window, reveal = (int(chain.call("Parameters", n)) for n in ("verification_window", "reveal_window"))
    phases: dict[str, float] = {}

    def at(*names: str):
        return lambda: all((net.db(v).task(tid) or ("",))[0] in names for v in verifiers)

    def stage(name: str, warp: int, cond, what: str) -> None:
        t = time.time()
        if warp:
            net.warp(warp)
        net.wait(cond, timeout, what)
        phases[name] = time.time() - t
        if on is not None:
            on(name)

    stage("attested", 0, at("attest-committed"), "the verifiers' attestations")
    stage("revealed", window + 1, at("attest-revealed"), "the verifiers' reveals")
    stage("secret", reveal + 1, lambda: incentive(chain, tid)["revealed"], "the solver's secret")
    if incentive(chain, tid)["forced"]:  # every verifier checks the revealed root by a full replay
        stage("rechecked", 0, lambda: all("dispute_end" in (net.db(v).task(tid) or ("", {}))[1]
                                          for v in verifiers) and get_task(chain, tid).open_disputes == 0,
              "the verifiers' check of the revealed root")
    flaggers = [v for v in verifiers if (net.db(v).task(tid) or ("", {}))[1].get("flagged")]
    if flaggers and not incentive(chain, tid)["forced"]:  # a real fault: the flaggers dispute it
        stage("disputed", 0, lambda: all("dispute_end" in net.db(v).task(tid)[1] for v in flaggers)
              and get_task(chain, tid).open_disputes == 0, "the flaggers' disputes")
    task = get_task(chain, tid)
    if task.open_disputes:
        raise RuntimeError(f"demo: task {tid} has an open dispute")
    if task.status == COMMITTED:
        stage("finalized", task.challenge_window + 1, lambda: get_task(chain, tid).status == FINALIZED,
              "finalisation")
    finalized = get_task(chain, tid).status == FINALIZED
    if finalized:  # the provers prove (and catch) inside the report window
        stage("proved", 0, lambda: all((net.db(v).task(tid) or ("", {}))[1].get("proved") for v in verifiers),
              "the verifiers' proofs")
    stage("settled", reveal + 1 if finalized else 0, at("done"), "the verifiers' settlements")
    return phases


#: seconds a dispute may stand still on one mover before the demo moves the clock past the
#: move deadline (a cheater that cannot answer loses by timeout)
STALL_WARP_AFTER = 20.0
#: the verifier's bounded wait for artifacts in a demo (settings.artifact_timeout)
DEMO_ARTIFACT_TIMEOUT = 8.0


def wait_dispute_end(net: LocalNetwork, vdb: StateDB, tid: int, timeout: float = 900) -> None:
    """Wait until the verifier's dispute of `tid` ended, warping past the move deadline
    whenever the game stands still on one party for `STALL_WARP_AFTER` seconds."""
    from .dispute.driver import game_view
    from .dispute.player import PHASE_DONE

    chain = net.chain()
    deadline = int(chain.call("Parameters", "dispute_move_deadline"))
    last, since = None, time.time()
    end = time.time() + timeout
    while (vdb.task(tid) or ("", {}))[0] not in DISPUTE_ENDS:
        if time.time() > end:
            raise TimeoutError("demo: timed out waiting for the end of the dispute")
        did = (vdb.task(tid) or ("", {}))[1].get("dispute")
        if did:
            g = game_view(chain, did)
            now = (g.moves, g.mover, g.phase)
            if now != last:
                last, since = now, time.time()
            elif g.phase != PHASE_DONE and time.time() - since > STALL_WARP_AFTER:
                net.warp(deadline + 1)  # the stalled party's move deadline passes
                since = time.time()
        time.sleep(0.5)


def final_line(tid: int, status: str) -> str:
    """The plain last line of every demo."""
    return f"demo: task={tid} status={status}"


def run_demo(steps: int = 1000, samples: int = 3, fault: str | None = None, skip_steps: float = 0.0,
             console: Console | None = None, incentives: bool = False, forced_rate: int | None = None,
             cheat: str | None = None) -> dict:
    """The whole life of one digits task on a fresh local network; returns the summary.
    With `incentives`, the verifier attests through the VerifierPool (`walk_incentives`),
    the claims getting `forced_rate` ppm (None: the parameter's default). With `cheat`
    the solver cheats (`solve --cheat`). Ends with the line `demo: task=ID status=STATUS`."""
    from .roles.registry import COMMITTED, FINALIZED, get_task
    from .roles.submit import Submitter, TaskTerms, build_spec
    from .state import FAILED

    console = console or Console()
    phases: dict[str, float] = {}
    t_all = time.time()
    with tempfile.TemporaryDirectory(prefix="tt-demo-") as tmp, LocalNetwork(Path(tmp), samples,
                                                                            incentives=incentives) as net:
        if incentives and forced_rate is not None:
            net.set_forced_rate(forced_rate)
        phases["start chain + deploy"] = time.time() - t_all
        console.print(f"[bold]demo[/]: anvil at {net.anvil.url}, store at {net.store_url}")
        solve_args = ["solve"] + (["--fault", fault] if fault else []) + (
            ["--skip-steps", str(skip_steps)] if skip_steps else []) + (["--cheat", cheat] if cheat else [])
        net.spawn("solver", *solve_args)
        net.spawn("verifier", "verify", extra_env={"TT_ARTIFACT_TIMEOUT": str(DEMO_ARTIFACT_TIMEOUT)})
        t = time.time()
        sub = Submitter(net.settings("submitter"))
        # with incentives the pool draws the samples; a verifier with samples >= steps (the
        # demo's default with --fault) replays the whole run, so a fault anywhere is flagged
        interval = 10
        spec, artifacts = build_spec("digits", steps=steps, checkpoint_interval=interval)
        tid = sub.create(spec, artifacts, TaskTerms())
        phases["publish + create task"] = time.time() - t
        chain = net.chain()
        t = time.time()
        console.print(f"task {tid} created; the solver trains {steps} steps ...")
        sdb = net.db("solver")

        def committed_or_refused():
            if get_task(chain, tid).status >= COMMITTED:
                return "committed"
            act = sdb.action(f"commit:{tid}")
            return act is not None and act.status == FAILED and act.data.get("reason", "refused")

        refused = net.wait(committed_or_refused, 600, "the solver's commit")
        phases["claim + train + commit"] = time.time() - t
        t = time.time()
        vdb = net.db("verifier")
        outcome, paid = None, None
        if refused != "committed":
            # the registry refused the commit (e.g. a final model that is not S_T): nothing
            # can be committed, so the task expires after its solve period, solver slashed
            console.print(f"task {tid}: the registry refused the solver's commit ({refused}); "
                          "the task expires after its solve period", highlight=False)
            net.warp(get_task(chain, tid).solve_deadline - int(chain.block()["timestamp"]) + 1)
            net.chain("submitter").transact("TaskRegistry", "expire", tid)
            phases["solve period + expire"] = time.time() - t
            vphase = "-"
        elif incentives:
            net.wait(lambda: vdb.task(tid) is not None, 60, "the verifier")
            phases.update({f"incentives: {k}": v for k, v in walk_incentives(net, tid).items()})
            paid = incentive_outcome(net, tid)
            vphase, vdata = vdb.task(tid)
            if vdata.get("dispute"):  # a flagged real fault, disputed during the walk
                outcome = dispute_outcome(net, vdata["dispute"])
                console.print(outcome, soft_wrap=True, highlight=False)
            console.print(f"task {tid}: {paid['line']}", highlight=False)
        else:
            net.wait(lambda: (vdb.task(tid) or ("", {}))[0] in ("verified", "challenged", "disputing", "refused",
                                                                 *DISPUTE_ENDS), 600, "the verifier")
            phases["verify"] = time.time() - t
            vphase = vdb.task(tid)[0]
        if refused == "committed" and vphase not in ("verified", "done", "refused"):
            t = time.time()
            console.print(f"task {tid}: the verifier found a mismatch; the daemons play the dispute ...")
            wait_dispute_end(net, vdb, tid)
            phases["dispute"] = time.time() - t
            vphase = vdb.task(tid)[0]
            outcome = dispute_outcome(net, vdb.task(tid)[1].get("dispute"))
            console.print(outcome, soft_wrap=True, highlight=False)
        task = get_task(chain, tid)
        if task.status == COMMITTED:
            t = time.time()
            net.warp(task.challenge_window + 1)
            net.wait(lambda: get_task(chain, tid).status == FINALIZED, 120, "finalisation")
            phases["challenge window + finalize"] = time.time() - t
        vdata = (vdb.task(tid) or ("", {}))[1]
        summary = {
            "task_id": tid, "steps": steps, "accuracy": _accuracy_or_none(net, tid),
            "run_root": "0x" + get_task(chain, tid).run_root.hex(), "verifier": vphase,
            "steps_checked": vdata.get("steps"), "steps_replayed": vdata.get("replayed"),
            "cheat": cheat,
            "status": get_task(chain, tid).status_name,
            "gas": {"submitter": gas_of(sub.db), "solver": gas_of(net.db("solver")),
                    "verifier": gas_of(vdb)},
            "phases": phases, "challenge": vdb.evidence(tid), "dispute": outcome, "incentives": paid,
        }
    summary["phases"]["total"] = time.time() - t_all
    _print_summary(console, summary)
    print(final_line(summary["task_id"], summary["status"]), flush=True)
    return summary


def _print_summary(console: Console, s: dict) -> None:
    table = Table(title="demo summary", show_header=False)
    table.add_row("task id", str(s["task_id"]))
    table.add_row("steps", str(s["steps"]))
    table.add_row("final status", s["status"])
    table.add_row("held-out accuracy", "-" if s["accuracy"] is None else f"{s['accuracy']:.3f}")
    table.add_row("run root", s["run_root"])
    table.add_row("verifier", f"{s['verifier']}: checked boundaries {s['steps_checked']}, "
                              f"replayed {s['steps_replayed']}")
    for ev in s["challenge"]:
        if "theirs" not in ev:  # artifacts the verifier could not obtain or check
            table.add_row("challenge", f"artifacts: {ev.get('problem', ev['kind'])}")
            continue
        mine = f"mine 0x{ev['mine'][:16]}.. " if "mine" in ev else ""  # attestation evidence: theirs only
        table.add_row("challenge", f"step {ev['step']}: {mine}solver 0x{ev['theirs'][:16]}..")
    if s.get("dispute"):
        table.add_row("dispute", s["dispute"])
    if s.get("incentives"):
        table.add_row("incentives", s["incentives"]["line"])
    for who, g in s["gas"].items():
        table.add_row(f"gas ({who})", f"{g:,}")
    for ph, sec in s["phases"].items():
        table.add_row(f"time: {ph}", f"{sec:.1f} s")
    console.print(table)
