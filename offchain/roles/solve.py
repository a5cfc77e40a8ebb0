"""The solver daemon: watch for tasks, rebuild and check each one, claim, train
with progress and checkpoints, publish the manifest, commit the run root before
the deadline, defend every dispute opened against the result, and collect the
payment after the challenge window once no dispute is open.

A dispute is defended with the dispute `Player` over the solver's own run,
rebuilt from its published checkpoints with the deviation it trained with
(`--fault`, `--skip-steps`, recorded per task), so a faulty solver defends its
faulty run consistently with its commitment and an honest one defends the
truth. A lost dispute ends the task (phase `rejected`).

Every on-chain action goes through `send_once`, and training resumes from the
last published checkpoint, so a solver killed at any point (kill -9) and
restarted finishes the task, or the dispute, without repeating a transaction.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time

import numpy as np

from ..chain import send_once
from ..commit import roots
from ..dispute.player import SOLVER
from ..dispute.run import Fault, PartyRun, Skip, step_outputs
from ..dispute.states import StoreStates
from ..runtime.train import boundary_steps
from ..store import StoreError
from . import admission, availability, forced, funds
from .daemon import Daemon
from .disputes import DisputeDesk
from .registry import CLAIMED, COMMITTED, EXPIRED, FINALIZED, OPEN, REJECTED, get_task, now
from .task import Checkpoint, Manifest, SpecError, TaskSpec, load_task_inputs

log = logging.getLogger("offchain.solve")


#: dishonest solvers for demos and tests (`solve --cheat`): "" is honest
CHEATS = ("", "withhold", "random-root", "wrong-model")
# a flip of mantissa bit 20 of a weight (the digits MLP's first SGD output) at step 1: it stays
# in the state, so every later boundary root differs (a lowest-bit flip of an activation can
# die out before the next boundary, and then there is nothing to dispute)
WITHHOLD_FAULT = Fault(1, 14, 0, bit=20)


class WithholdingStore:
    """A store that keeps what this solver publishes to itself (its local cache)."""

    def __init__(self, store):
        self.inner = store
        self.local = getattr(store, "cache", None) or store

    def put(self, data: bytes) -> str:
        return self.local.put(data)

    def get(self, addr) -> bytes:
        return self.local.get(addr) if self.local.has(addr) else self.inner.get(addr)

    def has(self, addr) -> bool:
        return self.local.has(addr)


class TrainingStopped(RuntimeError):
    pass


class TrainJob(threading.Thread):
    """One task's training (Solver._train) in a daemon thread; result or error kept."""

    def __init__(self, solver: Solver, tid: int, spec: TaskSpec, program, train: np.ndarray):
        super().__init__(name=f"train-{tid}", daemon=True)
        self.solver, self.tid, self.args = solver, tid, (spec, program, train)
        self.manifest: Manifest | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.manifest = self.solver._train(self.tid, *self.args)
        except BaseException as exc:  # noqa: BLE001 - handed to the poll loop
            self.error = exc


class Solver(Daemon):
    role = "solve"
    events = ("TaskCreated", "DisputeOpened")
    watch_disputes = True

    def __init__(self, settings, chain=None, fault: Fault | None = None, skip_steps: float = 0.0,
                 skip_seed: int = 0, backend: str | None = None, cheat: str = ""):
        super().__init__(settings, chain)
        if cheat not in CHEATS:
            raise ValueError(f"solve: --cheat must be one of {', '.join(CHEATS)}, got {cheat!r}")
        self.cheat = cheat
        if cheat == "withhold":  # a faulty run whose artifacts never leave this machine
            fault = fault or WITHHOLD_FAULT
            self.store = WithholdingStore(self.store)
        if not 0.0 <= skip_steps <= 1.0:
            raise ValueError(f"solve: --skip-steps must be in [0, 1], got {skip_steps}")
        self.fault, self.skip, self.skip_seed = fault, skip_steps, skip_seed
        self.backend = backend or settings.backend  # one default: the settings' (fast)
        self.budget = admission.Budget(settings, self.db, self.backend)  # what a task may cost (admission.py)
        self.desk = DisputeDesk(self.chain, self.db, SOLVER, self._own_run)
        self._jobs: dict[int, TrainJob] = {}  # task id -> its training thread

    # --- events -------------------------------------------------------------
    def on_event(self, ev) -> None:
        tid = int(ev.args["task_id"])
        if ev.contract == "DisputeGame":
            if self.db.task(tid) is not None and ev.args.get("dispute_id") is not None:
                log.warning("solve: task=%d dispute %d opened by %s", tid, ev.args["dispute_id"],
                            ev.args["challenger"])
                self.desk.track(tid, int(ev.args["dispute_id"]))
            return
        if ev.event != "TaskCreated":
            return
        if self.db.task(tid) is None:
            self.db.set_task(tid, "seen", block=ev.block)
            a = ev.args  # TaskCreated carries the task's terms
            log.info("solve: task=%d seen (%s steps, payment %s, stake %s, solve period %ss)", tid,
                     a.get("num_steps"), a.get("payment"), a.get("solver_stake"), a.get("solve_period"))

    # --- the state machine -------------------------------------------------------
    def advance(self, tid: int, phase: str, data: dict) -> None:
        task = get_task(self.chain, tid)
        if phase == "seen":
            self._check(tid, task)
        elif phase == "accepted":
            self._claim(tid, task)
        elif phase == "claimed":
            self._train_and_commit(tid, task)
        elif phase == "committed":
            self._defend(tid)
            self._collect(tid, get_task(self.chain, tid))

    def _check(self, tid: int, task) -> None:
        if task.status != OPEN:
            self.db.set_task(tid, "lost", reason=f"status {task.status_name}")
            return
        if not availability.due(self.db, tid):
            return  # backing off after a failed fetch
        if now(self.chain) > task.claim_deadline:
            self.db.set_task(tid, "lost", reason="claim deadline passed")
            return
        if not admission.solver_admits(self, tid, task):  # pay per stake, stake at risk, task count
            return
        try:
            _spec, train, program = load_task_inputs(
                self.store, task, header=lambda: self.chain.call("TaskRegistry", "task_header", tid))
        except SpecError as exc:  # malformed, impossible or not the task's: refused once, never claimed
            self._refuse(tid, str(exc))
            return
        except StoreError as exc:
            if availability.failed(self.db, tid, self.settings, str(exc)):
                self._refuse(tid, f"spec or data unavailable: {exc}")
            return
        if not admission.solver_admits(self, tid, task, program, train):  # memory, disk, time on this machine
            return
        self.db.set_task(tid, "accepted")
        self._claim(tid, task)

    def _refuse(self, tid: int, reason: str) -> None:
        reason = reason.removeprefix("task: ")
        self.db.set_task(tid, "refused", reason=reason)
        log.warning("solve: refuse task=%d: %s", tid, reason)

    def _train_matrix(self, spec: TaskSpec) -> np.ndarray:
        from .task import decode_arrays
        _, arrays = decode_arrays(self.store.get(spec.data))
        return arrays[0]

    def _claim(self, tid: int, task) -> None:
        me = self.chain.address
        if task.status != OPEN and task.solver.lower() != me.lower():
            self.db.set_task(tid, "lost", reason=f"status {task.status_name}")
            return
        if task.status == OPEN and now(self.chain) > task.claim_deadline:
            self.db.set_task(tid, "lost", reason="claim deadline passed")
            return
        free = int(self.chain.call("StakeManager", "free_stake", me))
        if task.status == OPEN and free < task.solver_stake:
            need = task.solver_stake - free
            if self.db.action(f"bond:{tid}") is None:  # not bonded yet: say what is missing, send nothing
                funds.require(self.chain, need, f"stake for task {tid}")
            sm = self.chain.contract("StakeManager").address
            send_once(self.chain, self.db, f"approve-stake:{tid}", "Token", "approve", sm, need)
            send_once(self.chain, self.db, f"bond:{tid}", "StakeManager", "bond", need,
                      landed=lambda: int(self.chain.call("StakeManager", "free_stake", me)) >= task.solver_stake)
        r = send_once(self.chain, self.db, f"claim:{tid}", "TaskRegistry", "claim_task", tid,
                      *forced.claim_args(self.chain, self.db, tid),
                      landed=lambda: get_task(self.chain, tid).solver.lower() == me.lower())
        log.info("solve: task=%d claimed (tx %s)", tid, r.get("tx_hash", "-"))
        forced.record_seed(self.chain, self.db, tid)  # the commit needs it; it lapses in 256 blocks
        self.db.set_task(tid, "claimed")

    def _train_and_commit(self, tid: int, task) -> None:
        me = self.chain.address
        if task.status != CLAIMED or task.solver.lower() != me.lower():
            if task.status == COMMITTED and task.solver.lower() == me.lower():
                self.db.set_task(tid, "committed")
            else:
                self.db.set_task(tid, "lost", reason=f"status {task.status_name}")
            return
        manifest = self._trained(tid, task)
        if manifest is None:
            return  # still training (in its own thread): the daemon keeps polling meanwhile
        true_uri = self.store.put(manifest.to_bytes())
        # the final model hash is S_T (the last leaf of the committed run root), never a file hash
        run_root, final_hash, final_proof, uri = forced.commit_plan(self.chain, self.db, self.store, tid, manifest)
        run_root, final_hash, final_proof = self._cheat_commit(tid, manifest, run_root, final_hash, final_proof)
        r = send_once(self.chain, self.db, f"commit:{tid}", "TaskRegistry", "commit_result", tid, run_root,
                      final_hash, final_proof, uri, landed=lambda: get_task(self.chain, tid).status >= COMMITTED)
        log.info("solve: task=%d committed run root 0x%s (tx %s)", tid, run_root.hex(), r.get("tx_hash", "-"))
        self.db.set_task(tid, "committed", run_root=run_root.hex(), manifest=true_uri)

    def _trained(self, tid: int, task) -> Manifest | None:
        """The task's manifest once its training thread is done, else None (starting the
        thread on first call). Training runs off the poll loop, so disputes and deadlines of
        other tasks are served while it runs; a failed thread is re-raised here (logged by
        the poll loop) and the next poll starts it again, resuming from the last checkpoint."""
        job = self._jobs.get(tid)
        if job is None:
            spec, train, program = load_task_inputs(self.store, task)
            job = TrainJob(self, tid, spec, program, train)
            self._jobs[tid] = job
            job.start()
            return None
        if job.is_alive():
            return None
        del self._jobs[tid]
        if job.error is not None:
            raise job.error
        return job.manifest

    def _train(self, tid: int, spec: TaskSpec, program, train: np.ndarray) -> Manifest:
        """Run steps 0..T with the one training loop (`runtime.train.boundary_steps`: S_t hashed only
        at the boundary steps, which are the checkpoints), resuming from the last checkpoint
        this solver published."""
        key = f"train:{tid}"
        prog = self.db.get(key)
        if prog is None:
            t0, state, step_roots, ckpts = 0, [], [], {}
        else:
            ck = Checkpoint.from_bytes(self.store.get(prog["checkpoint"]))
            t0, state = ck.step + 1, ck.state
            step_roots = [bytes.fromhex(r) for r in prog["roots"]]
            ckpts = {int(k): v for k, v in prog["checkpoints"].items()}
            log.info("solve: task=%d resuming after step %d", tid, ck.step)
        T, k = spec.steps, spec.checkpoint_interval
        fault, skip = self._deviation(tid, prog)
        if fault:
            fault.check(program, T)
        started = time.time()

        def stop(t: int) -> None:
            if self._stop:
                raise TrainingStopped(f"solve: task={tid}: stopped at step {t}")

        def step(t: int, st: list[np.ndarray]) -> list[np.ndarray]:
            return step_outputs(program, t, st, train, self.backend, fault, skip)

        for b in boundary_steps(program, train, T, k, self.backend, start=t0, state=state, step_fn=step, on_step=stop):
            step_roots.append(b.step_root)
            addr = self.store.put(Checkpoint(b.t, b.state, b.node_roots).to_bytes())
            ckpts[b.t] = addr
            self.db.put(key, {"checkpoint": addr, "roots": [r.hex() for r in step_roots],
                              "checkpoints": {str(c): a for c, a in ckpts.items()},
                              "fault": fault and [fault.t, fault.j, fault.e, fault.bit],
                              "skip": skip and [skip.fraction, skip.seed]})
            rate = (b.t - t0 + 1) / max(time.time() - started, 1e-9)
            log.info("solve: task=%d step %d/%d (%.1f steps/s)", tid, b.t, T, rate)
        return Manifest(tid, step_roots, ckpts, ckpts[T])

    def _deviation(self, tid: int, prog: dict | None) -> tuple[Fault | None, Skip | None]:
        """The fault and skip a task is (or was) trained with: recorded once training began."""
        if prog is not None and "fault" in prog:
            f, sk = prog["fault"], prog["skip"]
            return (Fault(*f) if f else None), (Skip(sk[0], sk[1], tid) if sk else None)
        return self.fault, (Skip(self.skip, self.skip_seed, tid) if self.skip > 0 else None)

    def _cheat_commit(self, tid: int, manifest: Manifest, run_root: bytes, final_hash: bytes,
                      final_proof: list[bytes]) -> tuple[bytes, bytes, list[bytes]]:
        """(run root, final model hash, its proof) this solver commits: the true ones unless
        it cheats. `random-root`: the root of n_b random step roots (with its last leaf and its
        proof, so the registry takes it; the verifier finds no manifest that hashes to it
        and disputes). `wrong-model`: its step-0 state named as the final model (the
        registry refuses it: the final model hash must be S_T, proved against the root)."""
        if self.cheat == "random-root":
            seed = hashlib.sha256(b"random-root" + self.db.path.as_posix().encode() + tid.to_bytes(8, "big"))
            fake = [hashlib.sha256(seed.digest() + t.to_bytes(8, "big")).digest()
                    for t in range(len(manifest.step_roots))]
            log.warning("solve: task=%d cheat: committing a random run root", tid)
            return (roots.run_root(fake), *roots.final_model(fake))
        if self.cheat == "wrong-model":
            log.warning("solve: task=%d cheat: naming its step-0 state as the final model", tid)
            return run_root, manifest.step_roots[0], final_proof
        return run_root, final_hash, final_proof

    def _manifest_uri(self, tid: int) -> str:
        """The address of the task's true manifest: recorded at commit, or rebuilt from the
        durable training record after a crash between the mined commit and that record
        (the manifest bytes are deterministic, so it is the same address)."""
        phase, data = self.db.task(tid)
        if data.get("manifest"):
            return data["manifest"]
        prog = self.db.get(f"train:{tid}")
        if prog is None:
            raise ValueError(f"solve: task={tid}: committed but no training record to rebuild the manifest")
        ckpts = {int(c): a for c, a in prog["checkpoints"].items()}
        manifest = Manifest(tid, [bytes.fromhex(r) for r in prog["roots"]], ckpts, ckpts[max(ckpts)])
        uri = self.store.put(manifest.to_bytes())
        self.db.set_task(tid, phase, manifest=uri)
        log.info("solve: task=%d manifest rebuilt from the training record after a restart", tid)
        return uri

    def run(self, until=None, timeout: float | None = None) -> None:
        """The daemon loop; on leaving it (SIGTERM, `until`, timeout) every training thread
        stops after its current step (admission bounds a step's time: max_step_seconds) and
        is joined, so the process exits cleanly (a thread left inside the backend aborted the
        interpreter at exit) and a restart resumes from the last checkpoint."""
        try:
            super().run(until, timeout)
        finally:
            self._stop = True
            for tid, job in list(self._jobs.items()):
                job.join()
                log.info("solve: task=%d training stopped; it resumes from its last checkpoint", tid)

    # --- disputes ------------------------------------------------------------------
    def _own_run(self, tid: int) -> PartyRun:
        """This solver's committed run, rebuilt from its checkpoints (nothing retrained now)."""
        prog = self.db.get(f"train:{tid}")
        if prog is None:
            raise ValueError(f"solve: task={tid}: no training record to defend a dispute with")
        spec = TaskSpec.from_bytes(self.store.get(get_task(self.chain, tid).spec_hash))
        train = self._train_matrix(spec)
        states = StoreStates(self.store, prog["checkpoints"])  # fetched when needed, never all in memory
        fault, skip = self._deviation(tid, prog)
        return PartyRun.from_states(spec.compile(train), train, [bytes.fromhex(r) for r in prog["roots"]],
                                    states, self.backend, fault, skip, steps=spec.steps,
                                    interval=spec.checkpoint_interval)

    def _defend(self, tid: int) -> None:
        for did, winner in self.desk.play(tid).items():
            if winner == "solver":
                log.info("solve: task=%d dispute %d won", tid, did)
            else:
                log.warning("solve: task=%d dispute %d lost (%s)", tid, did, winner)

    def _collect(self, tid: int, task) -> None:
        if task.status == FINALIZED:
            self.db.set_task(tid, "finalized")
            log.info("solve: task=%d finalized", tid)
            return
        if task.status in (REJECTED, EXPIRED):
            self.db.set_task(tid, "rejected" if task.status == REJECTED else "expired")
            log.warning("solve: task=%d %s", tid, "rejected: a dispute was lost, stake slashed"
                        if task.status == REJECTED else "expired")
            return
        if task.status != COMMITTED:
            return
        if forced.incentives_on(self.chain):  # incentive layer: the secret reveal comes first
            uri = self._manifest_uri(tid)
            if not forced.after_commit(self.chain, self.db, tid, Manifest.from_bytes(self.store.get(uri)), uri):
                return
            task = get_task(self.chain, tid)  # the reveal started the challenge window
            if task.status != COMMITTED:
                return
        if task.open_disputes == 0 and now(self.chain) > task.challenge_deadline:
            r = send_once(self.chain, self.db, f"finalize:{tid}", "TaskRegistry", "finalize", tid,
                          landed=lambda: get_task(self.chain, tid).status == FINALIZED)
            self.db.set_task(tid, "finalized", finalize_tx=r.get("tx_hash"))
            log.info("solve: task=%d finalized, payment collected", tid)
