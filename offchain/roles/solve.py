"""The solver daemon: watch for tasks, rebuild and check each one, claim, train
with progress and checkpoints, publish the manifest, commit the run root before
the deadline, and collect the payment after the challenge window.

Every on-chain action goes through `send_once`, and training resumes from the
last published checkpoint, so a solver killed at any point (kill -9) and
restarted finishes the task without a second claim or commit.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from ..chain import send_once
from ..commit import merkle, roots
from ..runtime import executor
from ..store import StoreError
from . import forced
from .daemon import Daemon
from .faults import Fault, faked_step, faulty_step, is_skipped
from .registry import CLAIMED, COMMITTED, EXPIRED, FINALIZED, OPEN, REJECTED, get_task, now
from .task import Checkpoint, Manifest, TaskSpec, data_root

log = logging.getLogger("offchain.solve")


class Solver(Daemon):
    role = "solve"
    events = ("TaskCreated",)

    def __init__(self, settings, chain=None, fault: Fault | None = None, skip_steps: float = 0.0,
                 skip_seed: int = 0, backend: str = "reference", max_tasks: int = 0):
        super().__init__(settings, chain)
        if not 0.0 <= skip_steps <= 1.0:
            raise ValueError(f"solve: --skip-steps must be in [0, 1], got {skip_steps}")
        self.fault, self.skip, self.skip_seed = fault, skip_steps, skip_seed
        self.backend = backend
        self.max_tasks = max_tasks  # 0: no limit

    # --- events -------------------------------------------------------------
    def on_event(self, ev) -> None:
        tid = int(ev.args["task_id"])
        if self.db.task(tid) is None:
            self.db.set_task(tid, "seen", block=ev.block)
            log.info("solve: task=%d seen", tid)

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
            self._collect(tid, task)

    def _check(self, tid: int, task) -> None:
        if task.status != OPEN:
            self.db.set_task(tid, "lost", reason=f"status {task.status_name}")
            return
        try:
            spec = TaskSpec.from_bytes(self.store.get(task.spec_hash))
            train = self._train_matrix(spec)
        except (StoreError, ValueError) as exc:
            log.warning("solve: task=%d cannot fetch its spec or data yet: %s", tid, exc)
            return
        program = spec.compile(train)
        if data_root(train) != task.data_root:
            log.warning("solve: refuse task=%d: data root mismatch (chain 0x%s, data 0x%s)", tid,
                        task.data_root.hex(), data_root(train).hex())
            self.db.set_task(tid, "refused", reason="data root mismatch")
        elif program.root() != task.program_root:
            log.warning("solve: refuse task=%d: program root mismatch (chain 0x%s, compiled 0x%s)", tid,
                        task.program_root.hex(), program.root().hex())
            self.db.set_task(tid, "refused", reason="program root mismatch")
        elif spec.steps != task.num_steps or spec.checkpoint_interval != task.checkpoint_interval:
            log.warning("solve: refuse task=%d: spec steps/interval differ from the chain", tid)
            self.db.set_task(tid, "refused", reason="steps mismatch")
        elif self.max_tasks and len([t for t in self.db.tasks() if t[1] not in ("seen", "refused", "lost")]) >= self.max_tasks:
            self.db.set_task(tid, "lost", reason="busy")
        else:
            self.db.set_task(tid, "accepted")
            self._claim(tid, task)

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
            sm = self.chain.contract("StakeManager").address
            send_once(self.chain, self.db, f"approve-stake:{tid}", "TestToken", "approve", sm, need)
            send_once(self.chain, self.db, f"bond:{tid}", "StakeManager", "bond", need,
                      landed=lambda: int(self.chain.call("StakeManager", "free_stake", me)) >= task.solver_stake)
        r = send_once(self.chain, self.db, f"claim:{tid}", "TaskRegistry", "claim_task", tid,
                      *forced.claim_args(self.chain, self.db, tid),
                      landed=lambda: get_task(self.chain, tid).solver.lower() == me.lower())
        log.info("solve: task=%d claimed (tx %s)", tid, r.get("tx_hash", "-"))
        self.db.set_task(tid, "claimed")

    def _train_and_commit(self, tid: int, task) -> None:
        me = self.chain.address
        if task.status != CLAIMED or task.solver.lower() != me.lower():
            if task.status == COMMITTED and task.solver.lower() == me.lower():
                self.db.set_task(tid, "committed")
            else:
                self.db.set_task(tid, "lost", reason=f"status {task.status_name}")
            return
        spec = TaskSpec.from_bytes(self.store.get(task.spec_hash))
        train = self._train_matrix(spec)
        program = spec.compile(train)
        manifest = self._train(tid, spec, program, train)
        true_uri = self.store.put(manifest.to_bytes())
        run_root, uri = forced.commit_plan(self.chain, self.db, self.store, tid, manifest)
        final_hash = bytes.fromhex(manifest.final_model[2:])
        r = send_once(self.chain, self.db, f"commit:{tid}", "TaskRegistry", "commit_result", tid, run_root,
                      final_hash, uri, landed=lambda: get_task(self.chain, tid).status >= COMMITTED)
        log.info("solve: task=%d committed run root 0x%s (tx %s)", tid, run_root.hex(), r.get("tx_hash", "-"))
        self.db.set_task(tid, "committed", run_root=run_root.hex(), manifest=true_uri)

    def _train(self, tid: int, spec: TaskSpec, program, train: np.ndarray) -> Manifest:
        """Run steps 0..T, resuming from the last checkpoint this solver published."""
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
        if self.fault:
            self.fault.check(program, T)
        started = time.time()
        for t in range(t0, T + 1):
            if is_skipped(self.skip, self.skip_seed, tid, t):
                outputs = faked_step(program, t, state)
            elif self.fault and self.fault.step == t:
                outputs = faulty_step(program, t, state, train, self.fault)
            else:
                outputs = executor.run_step(program, t, state, train, self.backend)
            node_roots = roots.node_roots(outputs)
            step_roots.append(merkle.root(node_roots))
            state = executor.state_after(program, t, outputs)
            if t % k == 0 or t == T:
                addr = self.store.put(Checkpoint(t, state, node_roots).to_bytes())
                ckpts[t] = addr
                self.db.put(key, {"checkpoint": addr, "roots": [r.hex() for r in step_roots],
                                  "checkpoints": {str(c): a for c, a in ckpts.items()}})
                rate = (t - t0 + 1) / max(time.time() - started, 1e-9)
                log.info("solve: task=%d step %d/%d (%.1f steps/s)", tid, t, T, rate)
        return Manifest(tid, step_roots, ckpts, ckpts[T])

    def _collect(self, tid: int, task) -> None:
        if task.status == FINALIZED:
            self.db.set_task(tid, "finalized")
            log.info("solve: task=%d finalized", tid)
        elif task.status in (REJECTED, EXPIRED):
            self.db.set_task(tid, "rejected" if task.status == REJECTED else "expired")
        elif task.status == COMMITTED and forced.incentives_on(self.chain) and not forced.after_commit(
                self.chain, self.db, tid, Manifest.from_bytes(self.store.get(self.db.task(tid)[1]["manifest"])),
                self.db.task(tid)[1]["manifest"]):
            return  # incentive layer: the secret reveal comes first
        elif task.status == COMMITTED and task.open_disputes == 0 and now(self.chain) > get_task(
                self.chain, tid).challenge_deadline:
            r = send_once(self.chain, self.db, f"finalize:{tid}", "TaskRegistry", "finalize", tid,
                          landed=lambda: get_task(self.chain, tid).status == FINALIZED)
            self.db.set_task(tid, "finalized", finalize_tx=r.get("tx_hash"))
            log.info("solve: task=%d finalized, payment collected", tid)
