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

A demo never hangs and never leaks: every wait also watches the daemons
(`LocalNetwork.check`: a daemon that exited, or that keeps failing with the
same error, ends the demo with that error, printed on the console) and an
overall deadline (`--timeout`); SIGTERM and SIGHUP stop it like Ctrl-C (Anvil,
store and daemons killed, the temp folder removed). Each daemon gets only
the key it needs (the store none), never the caller's key or settings file.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from eth_account import Account
from rich.console import Console

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
#: a daemon failing this many times in a row with the same error ends the demo with it
FATAL_REPEATS = 3
#: the demo daemons' cap on the backoff after repeated failures (settings.error_backoff_max)
DEMO_BACKOFF_MAX = 4.0
#: variables of the caller that never reach a demo daemon (a key, or a file that may hold one)
CALLER_SECRETS = ("TT_PRIVATE_KEY", "TT_CONFIG")
#: checkpoint interval of the demo task
DEMO_INTERVAL = 10


class DemoError(RuntimeError):
    """The demo cannot go on: a daemon failed or exited, or the overall deadline passed."""


class DemoStopped(DemoError):
    """SIGTERM or SIGHUP: the demo stops and cleans up as on Ctrl-C."""

    def __init__(self, signum: int):
        super().__init__(f"demo: stopped by {signal.Signals(signum).name}; everything it started is stopped")
        self.signum = signum


def default_timeout(steps: int) -> float:
    """The demo's overall limit unless --timeout says otherwise: 15 minutes plus 2 s a step."""
    return 900.0 + 2.0 * steps


def check_demo_fault(fault: str, steps: int) -> None:
    """ValueError (one line) unless `fault` names an element of the demo task's run of `steps`
    steps: checked against the task's program before anything starts."""
    from .dispute.run import Fault
    from .roles.submit import build_spec
    from .roles.task import decode_arrays

    f = Fault.parse(fault)
    if not 0 <= f.t <= steps:
        raise ValueError(f"demo: --fault step {f.t} outside 0..{steps} (the task has {steps} steps)")
    spec, artifacts = build_spec("digits", steps=steps, checkpoint_interval=DEMO_INTERVAL)
    _, (train,) = decode_arrays(artifacts[spec.data])
    try:
        f.check(spec.compile(train), steps)
    except ValueError as exc:
        raise ValueError(f"demo: --fault {str(exc).removeprefix('dispute: ')}") from None


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
    keys: list[str] = field(default_factory=lambda: dev_keys(10), repr=False)
    #: wall-clock time (time.time()) after which every wait fails; None: no overall limit
    deadline: float | None = None
    #: whether a daemon failing FATAL_REPEATS times in a row with one error ends every wait
    fatal_errors: bool = False
    #: called with each line the network reports while waiting (daemon errors, progress)
    echo: object = None
    _dbs: dict[str, StateDB] = field(default_factory=dict)
    _shown: set = field(default_factory=set)

    def address(self, role: str) -> str:
        return Account.from_key(self.keys[ROLES[role]]).address

    def start(self) -> LocalNetwork:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.anvil = Anvil(block_time=self.block_time).start()
        with self.instant_blocks():
            deploy_all(self.anvil.url, self.keys[0], self.address("treasury"),
                       self.workdir / "interfaces", self.workdir / "deployments",
                       parameters=INCENTIVE_PARAMETERS if self.incentives else None, incentives=self.incentives)
            for role in ("submitter", "solver", "verifier", "challenger"):
                self.mint(role, FUNDS)
        self.start_store()
        return self

    @contextlib.contextmanager
    def instant_blocks(self):
        """Mine each transaction at once (automine) inside the block, then go back to a block
        every `block_time` seconds: the setup's dozen transactions (deploy, mint) then take
        a fraction of a second instead of a block time each; the daemons run with blocks at
        the interval the network was started with."""
        if not self.block_time or self.block_time % 1:  # automine already, or a sub-second block
            yield  # time, which the RPC cannot set back (whole seconds): blocks are quick anyway
            return
        self.anvil.rpc("evm_setAutomine", True)
        try:
            yield
        finally:
            self.anvil.rpc("evm_setIntervalMining", int(self.block_time))

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
        uploaders = ",".join(self.address(r) for r in ROLES if r not in ("deployer", "treasury"))
        # the store signs nothing: no key, only the list of addresses that may upload
        self.spawn("store", "serve", "--port", str(port), role_key="",
                   extra_env={"TT_STORE_UPLOADERS": uploaders})
        store = HttpStore(self.store_url, retries=1, timeout=1)
        for _ in range(100):
            if store.healthy():
                return
            time.sleep(0.1)
        raise RuntimeError("demo: the artifact store did not start")

    def env(self, name: str, role_key: str) -> dict[str, str]:
        """The TT_* settings of daemon `name`, signing with `role_key`'s key ("": none)."""
        base = self.workdir / name
        key = self.keys[ROLES[role_key]] if role_key else ""
        return {"TT_RPC_URL": self.anvil.url, "TT_PRIVATE_KEY": key,
                "TT_DEPLOYMENTS_DIR": str(self.workdir / "deployments"),
                "TT_INTERFACES_DIR": str(self.workdir / "interfaces"),
                "TT_STORE_DIR": str(self.workdir / "store" if name == "store" else base / "cache"),
                "TT_STORE_URL": "" if name == "store" else self.store_url,
                "TT_STATE_DIR": str(base / "state"), "TT_POLL_INTERVAL": "0.3",
                "TT_SAMPLES": str(self.samples), "TT_ERROR_BACKOFF_MAX": str(DEMO_BACKOFF_MAX)}

    def settings(self, name: str, role_key: str | None = None) -> Settings:
        return load_settings(env=self.env(name, role_key or name))

    def spawn(self, name: str, *args: str, role_key: str | None = None,
              extra_env: dict[str, str] | None = None) -> subprocess.Popen:
        """Start `python -m offchain <args>` as daemon `name` (log in workdir/<name>.log), with
        the key of `role_key` (default: the role called `name`; "": no key), and neither
        the caller's key nor its settings file (which may hold a key)."""
        inherited = {k: v for k, v in os.environ.items() if k not in CALLER_SECRETS}
        env = {**inherited, **self.env(name, name if role_key is None else role_key), **(extra_env or {})}
        with open(self.workdir / f"{name}.log", "ab") as log:
            p = subprocess.Popen([sys.executable, "-m", "offchain", *args], env=env, stdout=log,
                                 stderr=subprocess.STDOUT, cwd=Path(__file__).resolve().parents[1],
                                 start_new_session=True)
        self.procs[name] = p
        return p

    def kill(self, name: str, sig: int = 9) -> None:
        """Stop daemon `name` (its whole process group) with `sig`; SIGKILL after 15 s."""
        p = self.procs.pop(name, None)
        self._dbs.pop(name, None)
        if p is None or p.poll() is not None:
            return
        try:
            os.killpg(p.pid, sig)
            p.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=15)

    def log(self, name: str) -> str:
        p = self.workdir / f"{name}.log"
        return p.read_text(errors="replace") if p.exists() else ""

    def db_path(self, name: str) -> Path:
        role = next((r for p, r in (("solver", "solve"), ("verifier", "verify"), ("submitter", "submit"))
                     if name.startswith(p)), name)
        return self.workdir / name / "state" / f"{role}.db"

    def db(self, name: str) -> StateDB:
        """The state of daemon `name` (solver*/verifier*/submitter*: that role's database)."""
        return StateDB(self.db_path(name))

    def chain(self, role: str = "deployer") -> ChainClient:
        return ChainClient(self.settings(role, role))

    def warp(self, seconds: int) -> None:
        self.anvil.rpc("evm_increaseTime", hex(seconds))
        self.anvil.mine(1)

    def say(self, line: str) -> None:
        if callable(self.echo):
            self.echo(line)

    def daemon_errors(self, name: str) -> dict[str, dict]:
        """The current errors of daemon `name` ({key: {"message", "count"}}, see roles/daemon.py)."""
        try:
            if name not in self._dbs:
                path = self.db_path(name)
                if not path.exists():
                    return {}
                self._dbs[name] = StateDB(path)
            return self._dbs[name].get("errors", {}) or {}
        except Exception:  # noqa: BLE001 - the daemon is creating its tables: next round
            return {}

    def check(self, what: str = "the daemons") -> None:
        """Raise DemoError when a daemon exited, or failed FATAL_REPEATS times in a row with the
        same error (each new error is reported once through `echo`), or when the overall
        deadline passed."""
        for name, p in list(self.procs.items()):
            if p.poll() is not None and name != "submitter":
                tail = self.log(name).strip().splitlines()[-15:]
                raise DemoError(f"demo: {name} exited with status {p.returncode}:\n" + "\n".join(tail))
            if name == "store" or not (self.fatal_errors or callable(self.echo)):
                continue
            for key, err in self.daemon_errors(name).items():
                shown = (name, key, err.get("message"))
                if shown not in self._shown:
                    self._shown.add(shown)
                    self.say(f"{name}: error: {err.get('message')}")
                if self.fatal_errors and int(err.get("count", 0)) >= FATAL_REPEATS:
                    raise DemoError(f"demo: {name} failed {err['count']} times in a row: {err.get('message')}")
        if self.deadline is not None and time.time() > self.deadline:
            raise DemoError(f"demo: overall timeout reached while waiting for {what} (see --timeout)")

    def wait(self, cond, timeout: float, what: str, poll: float = 0.3, progress=None):
        """Poll `cond()` until it is true (its value is returned); `progress()` runs on every
        round; DemoError (through `check`) or TimeoutError end the wait."""
        end = time.time() + timeout
        while time.time() < end:
            v = cond()
            if v:
                return v
            self.check(what)
            if progress is not None:
                progress()
            time.sleep(poll)
        raise TimeoutError(f"demo: timed out after {timeout:.0f}s waiting for {what}")

    def stop(self) -> None:
        """Stop every daemon, then Anvil (each attempted even when another fails)."""
        try:
            for name in list(self.procs):
                try:
                    self.kill(name, 15)
                except Exception:  # noqa: BLE001 - go on stopping the others
                    pass
        finally:
            for db in self._dbs.values():
                db.close()
            self._dbs.clear()
            if self.anvil:
                self.anvil.stop()

    def __enter__(self) -> LocalNetwork:
        try:
            return self.start()
        except BaseException:  # a failed or interrupted start stops what it had started
            self.stop()
            raise

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
#: verifier phases that end its dispute path: a dispute over, or "verified" when its own full
#: replay (after unavailable artifacts, or of a forced task's revealed root) agreed with the
#: committed run root, so that it opened none
DISPUTE_PATH_ENDS = (*DISPUTE_ENDS, "verified")


def verifier_finding(tid: int, phase: str, data: dict) -> str:
    """What the verifier's record of task `tid` says it found, in one line for the demo: a
    mismatch only when it recorded one (a sampled step whose root differs)."""
    if data.get("unavailable"):
        return (f"task {tid}: the verifier could not check the solver's artifacts ({data['unavailable']}); "
                "it replays the whole task from its spec and data and disputes only if its run differs ...")
    if data.get("recheck"):
        return f"task {tid}: the verifier checks {data['recheck']} by its own full replay ..."
    if "step" in data:
        return f"task {tid}: the verifier found a mismatch at step {data['step']}; the daemons play the dispute ..."
    return f"task {tid}: the verifier's dispute path is at phase {phase!r} ..."


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
    evs = chain.get_logs("VerifierPool", "VerifierSettled", {"task_id": tid, "verifier": me},
                         to_block=chain.block_number())
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
    """Wait until the verifier's dispute path of `tid` ended (`DISPUTE_PATH_ENDS`: also when its
    own full replay agreed and it opened no dispute), warping past the move deadline
    whenever the game stands still on one party for `STALL_WARP_AFTER` seconds; each move
    is reported once through `net.echo`."""
    from .dispute.driver import game_view
    from .dispute.player import PHASE_DONE, PHASE_NAMES, ROLE_NAMES

    chain = net.chain()
    deadline = int(chain.call("Parameters", "dispute_move_deadline"))
    last, since, moves = None, time.time(), 0
    end = time.time() + timeout
    while (vdb.task(tid) or ("", {}))[0] not in DISPUTE_PATH_ENDS:
        if time.time() > end:
            raise TimeoutError("demo: timed out waiting for the end of the dispute")
        net.check("the end of the dispute")
        did = (vdb.task(tid) or ("", {}))[1].get("dispute")
        if did:
            g = game_view(chain, did)
            now = (g.moves, g.mover, g.phase)
            if now != last:
                if last is not None or g.moves:
                    nxt = "game over" if g.phase == PHASE_DONE else f"{ROLE_NAMES.get(g.mover, 'either party')} to move"
                    which = (f"after move {g.moves}" if g.moves == moves else f"move {g.moves}"
                             if g.moves == moves + 1 else f"moves {moves + 1}..{g.moves}")
                    net.say(f"dispute {did}: {which}, phase {PHASE_NAMES.get(g.phase, g.phase)}, "
                            f"height {g.height}; {nxt}")
                    moves = g.moves
                last, since = now, time.time()
            elif g.phase != PHASE_DONE and time.time() - since > STALL_WARP_AFTER:
                net.say(f"dispute {did}: {ROLE_NAMES.get(g.mover, '-')} does not move: "
                        "the clock passes its move deadline")
                net.warp(deadline + 1)  # the stalled party's move deadline passes
                since = time.time()
        time.sleep(0.5)


def final_line(tid: int, status: str) -> str:
    """The plain last line of every demo."""
    return f"demo: task={tid} status={status}"


@contextlib.contextmanager
def stop_on_signals():
    """SIGTERM and SIGHUP raise DemoStopped in the main thread (as Ctrl-C raises
    KeyboardInterrupt), so every `with` block cleans up; a second signal during the
    clean-up is ignored. The previous handlers are restored after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    sigs = (signal.SIGTERM, signal.SIGHUP)

    def handler(signum, _frame):
        for sig in sigs:
            signal.signal(sig, signal.SIG_IGN)
        raise DemoStopped(signum)

    old = {sig: signal.signal(sig, handler) for sig in sigs}
    try:
        yield
    finally:
        for sig, h in old.items():
            signal.signal(sig, h)


#: the roles whose token holdings (wallet + bonded stake) the summary compares
MONEY_ROLES = ("submitter", "solver", "verifier", "treasury")


#: (contract, credit view) of the contracts that credit payouts to be pulled later
CREDITS = (("TaskRegistry", "credits"), ("DisputeGame", "credit"), ("VerifierPool", "credit"))


def holdings(net: LocalNetwork) -> dict[str, int]:
    """Each role's test tokens: wallet, bonded stake and credits not pulled yet."""
    chain = net.chain()

    def of(role: str) -> int:
        a = net.address(role)
        total = int(chain.call("TestToken", "balanceOf", a)) + int(chain.call("StakeManager", "bonded", a))
        return total + sum(int(chain.call(c, fn, a)) for c, fn in CREDITS if c in chain.deployment)
    return {r: of(r) for r in MONEY_ROLES}


def tokens(amount: int) -> str:
    return f"{amount / 1e18:,.6g} TT"


def settlement(net: LocalNetwork, tid: int) -> str | None:
    """How the registry settled task `tid`: paid, or slashed and refunded (from its event)."""
    reg = net.chain().contract("TaskRegistry")
    for name in ("TaskFinalized", "TaskRejected", "TaskExpired", "SecretWithheld", "TaskCancelled"):
        evs = getattr(reg.events, name).get_logs(from_block=0, argument_filters={"task_id": tid})
        if not evs:
            continue
        a = evs[-1].args
        if name == "TaskFinalized":
            return f"solver paid {tokens(int(a['paid']))} (protocol fee {tokens(int(a['fee']))})"
        if name == "TaskCancelled":
            return f"cancelled: submitter refunded {tokens(int(a['refund']))}"
        what = {"TaskRejected": "rejected", "TaskExpired": "expired", "SecretWithheld": "secret withheld"}[name]
        return (f"{what}: solver slashed {tokens(int(a['slashed']))}, "
                f"submitter refunded {tokens(int(a['refund']))}")
    return None


def steps_text(steps) -> str:
    """[1, 2, 3, 7] as `1..3, 7` (None: `-`)."""
    if not steps:
        return "-"
    steps = sorted(int(x) for x in steps)
    runs, lo = [], steps[0]
    for a, b in zip(steps, [*steps[1:], None], strict=True):
        if b != a + 1:
            runs.append(f"{lo}..{a}" if a > lo else f"{a}")
            lo = b
    return ", ".join(runs)


def run_demo(steps: int = 1000, samples: int = 3, fault: str | None = None, skip_steps: float = 0.0,
             console: Console | None = None, incentives: bool = False, forced_rate: int | None = None,
             cheat: str | None = None, timeout: float | None = None, block_time: float = 1.0) -> dict:
    """The whole life of one digits task on a fresh local network; returns the summary.
    With `incentives`, the verifier attests through the VerifierPool (`walk_incentives`),
    the claims getting `forced_rate` ppm (None: the parameter's default). With `cheat`
    the solver cheats (`solve --cheat`). `block_time`: seconds between blocks of the local
    chain (tests use sub-second blocks). Ends with the line `demo: task=ID status=STATUS`.

    `fault` is checked against the task's program before anything starts. The demo ends
    with DemoError when a daemon exits or keeps failing with one error (the error is the
    message), when `timeout` seconds (default `default_timeout(steps)`) have passed, and
    with DemoStopped on SIGTERM or SIGHUP; it leaves nothing running in every case."""
    if fault:
        check_demo_fault(fault, steps)
    console = console or Console()
    timeout = default_timeout(steps) if timeout is None else timeout
    if not timeout > 0:
        raise ValueError(f"demo: --timeout must be > 0, got {timeout}")
    with stop_on_signals():
        summary = _run_demo(steps, samples, fault, skip_steps, console, incentives, forced_rate, cheat,
                            time.time() + timeout, block_time)
    _print_summary(console, summary)
    print(final_line(summary["task_id"], summary["status"]), flush=True)
    return summary


def _run_demo(steps, samples, fault, skip_steps, console, incentives, forced_rate, cheat, deadline,
              block_time) -> dict:
    from .roles.registry import COMMITTED, FINALIZED, get_task
    from .roles.submit import Submitter, TaskTerms, build_spec
    from .state import FAILED

    phases: dict[str, float] = {}
    t_all = time.time()

    def say(line: str) -> None:  # daemon messages are untrusted text: no markup
        console.print(line, highlight=False, soft_wrap=True, markup=False)

    with tempfile.TemporaryDirectory(prefix="tt-demo-") as tmp, \
            LocalNetwork(Path(tmp), samples, block_time=block_time, incentives=incentives, deadline=deadline,
                         echo=say, fatal_errors=True) as net:
        if incentives and forced_rate is not None:
            net.set_forced_rate(forced_rate)
        phases["start chain + deploy"] = time.time() - t_all
        say(f"demo: anvil at {net.anvil.url}, store at {net.store_url}, work folder {tmp}")
        solve_args = ["solve"] + (["--fault", fault] if fault else []) + (
            ["--skip-steps", str(skip_steps)] if skip_steps else []) + (["--cheat", cheat] if cheat else [])
        net.spawn("solver", *solve_args)
        net.spawn("verifier", "verify", extra_env={"TT_ARTIFACT_TIMEOUT": str(DEMO_ARTIFACT_TIMEOUT)})
        before = holdings(net)
        t = time.time()
        sub = Submitter(net.settings("submitter"))
        # with incentives the pool draws the samples; a verifier with samples >= steps (the
        # demo's default with --fault) replays the whole run, so a fault anywhere is flagged
        spec, artifacts = build_spec("digits", steps=steps, checkpoint_interval=DEMO_INTERVAL)
        tid = sub.create(spec, artifacts, TaskTerms())
        phases["publish + create task"] = time.time() - t
        chain = net.chain()
        t = time.time()
        say(f"task {tid} created; the solver trains {steps} steps ...")
        sdb = net.db("solver")
        shown = {"step": None, "at": 0.0}

        def training_progress() -> None:
            prog = sdb.get(f"train:{tid}")
            done = len(prog["roots"]) - 1 if prog else None
            if done is not None and done != shown["step"] and time.time() - shown["at"] >= 2.0:
                say(f"task {tid}: trained {done}/{steps} steps ({time.time() - t:.0f} s)")
                shown.update(step=done, at=time.time())

        def committed_or_refused():
            if get_task(chain, tid).status >= COMMITTED:
                return "committed"
            act = sdb.action(f"commit:{tid}")
            return act is not None and act.status == FAILED and act.data.get("reason", "refused")

        refused = net.wait(committed_or_refused, 600 + 2 * steps, "the solver's commit",
                           progress=training_progress)
        phases["claim + train + commit"] = time.time() - t
        t = time.time()
        vdb = net.db("verifier")
        outcome, paid = None, None
        if refused != "committed":
            # the registry refused the commit (e.g. a final model that is not S_T): nothing
            # can be committed, so the task expires after its solve period, solver slashed
            say(f"task {tid}: the registry refused the solver's commit ({refused}); "
                "the task expires after its solve period")
            net.warp(get_task(chain, tid).solve_deadline - int(chain.block()["timestamp"]) + 1)
            net.chain("submitter").transact("TaskRegistry", "expire", tid)
            phases["solve period + expire"] = time.time() - t
            vphase = "-"
        elif incentives:
            say(f"task {tid}: committed; the verifier attests through the incentive layer ...")
            net.wait(lambda: vdb.task(tid) is not None, 60, "the verifier")
            walked = walk_incentives(net, tid, on=lambda stage: say(f"task {tid}: incentives: {stage}"))
            phases.update({f"incentives: {k}": v for k, v in walked.items()})
            paid = incentive_outcome(net, tid)
            vphase, vdata = vdb.task(tid)
            if vdata.get("dispute"):  # a flagged real fault, disputed during the walk
                outcome = dispute_outcome(net, vdata["dispute"])
                say(outcome)
            say(f"task {tid}: {paid['line']}")
        else:
            say(f"task {tid}: committed; the verifier checks it ...")
            net.wait(lambda: (vdb.task(tid) or ("", {}))[0] in ("verified", "challenged", "disputing", "refused",
                                                                 *DISPUTE_ENDS), 600, "the verifier")
            phases["verify"] = time.time() - t
            vphase = vdb.task(tid)[0]
        if refused == "committed" and vphase not in ("verified", "done", "refused"):
            t = time.time()
            say(verifier_finding(tid, vphase, vdb.task(tid)[1]))
            wait_dispute_end(net, vdb, tid)
            vphase, vdata = vdb.task(tid)
            if vphase == "verified":
                phases["own full replay"] = time.time() - t
                say(f"task {tid}: the verifier's own full replay agrees with the committed run root: no dispute")
            else:
                phases["dispute"] = time.time() - t
                outcome = dispute_outcome(net, vdata.get("dispute"))
                say(outcome)
        task = get_task(chain, tid)
        if task.status == COMMITTED:
            t = time.time()
            say(f"task {tid}: no dispute; the challenge window passes and the solver finalizes ...")
            net.warp(task.challenge_window + 1)
            net.wait(lambda: get_task(chain, tid).status == FINALIZED, 120, "finalisation")
            phases["challenge window + finalize"] = time.time() - t
        vdata = (vdb.task(tid) or ("", {}))[1]
        after = holdings(net)
        summary = {
            "task_id": tid, "steps": steps, "accuracy": _accuracy_or_none(net, tid),
            "run_root": "0x" + get_task(chain, tid).run_root.hex(), "verifier": vphase,
            "steps_checked": vdata.get("steps"), "steps_replayed": vdata.get("replayed"),
            "cheat": cheat,
            "status": get_task(chain, tid).status_name,
            "gas": {"submitter": gas_of(sub.db), "solver": gas_of(net.db("solver")),
                    "verifier": gas_of(vdb)},
            "phases": phases, "challenge": vdb.evidence(tid), "dispute": outcome, "incentives": paid,
            "settlement": settlement(net, tid),
            "money": {r: after[r] - before[r] for r in MONEY_ROLES},
            "addresses": {**{r: net.address(r) for r in ("submitter", "solver", "verifier", "treasury")},
                          **{n: chain.contract(n).address for n in sorted(chain.deployment)
                             if n in ("TaskRegistry", "StakeManager", "DisputeGame", "VerifierPool",
                                      "TestToken")}},
        }
    summary["phases"]["total"] = time.time() - t_all
    return summary


def summary_rows(s: dict) -> list[tuple[str, str]]:
    """The summary as (name, value) rows, every value whole (run roots, hashes, addresses)."""
    rows = [("task id", str(s["task_id"])), ("steps", str(s["steps"])), ("final status", s["status"]),
            ("held-out accuracy", "-" if s["accuracy"] is None else f"{s['accuracy']:.3f}"),
            ("run root", s["run_root"])]
    replayed = s["steps_replayed"]
    rows.append(("verifier", f"{s['verifier']}: checked boundaries {steps_text(s['steps_checked'])}"
                             + ("" if replayed is None else f", replayed {replayed}")))
    for ev in s["challenge"]:
        if "theirs" not in ev:  # artifacts the verifier could not obtain or check
            rows.append(("challenge", f"artifacts: {ev.get('problem', ev['kind'])}"))
            continue
        mine = f"mine 0x{ev['mine']}, " if "mine" in ev else ""  # attestation evidence: theirs only
        rows.append(("challenge", f"step {ev['step']}: {mine}solver 0x{ev['theirs']}"))
    for key in ("dispute", "settlement"):
        if s.get(key):
            rows.append((key, s[key]))
    if s.get("incentives"):
        rows.append(("incentives", s["incentives"]["line"]))
    for who, delta in s.get("money", {}).items():
        rows.append((f"tokens ({who})", f"{'+' if delta > 0 else ''}{tokens(delta)} (wallet + stake + credits)"))
    rows += [(f"gas ({who})", f"{g:,}") for who, g in s["gas"].items()]
    rows += [(f"address ({who})", addr) for who, addr in s.get("addresses", {}).items()]
    rows += [(f"time: {ph}", f"{sec:.1f} s") for ph, sec in s["phases"].items()]
    return rows


def _print_summary(console: Console, s: dict) -> None:
    """Plain `name  value` lines, never wrapped or cut (values may come from daemons: no markup)."""
    rows = summary_rows(s)
    width = max(len(k) for k, _ in rows)
    console.print("demo summary", highlight=False, markup=False)
    for k, v in rows:
        console.print(f"  {k:<{width}}  {v}", soft_wrap=True, highlight=False, markup=False)
