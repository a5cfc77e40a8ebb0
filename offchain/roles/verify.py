"""The verifier daemon: after a result is committed, derive the steps to check
from the block after the commit, fetch the nearest checkpoints, replay, and
compare each replayed S_t with the solver's (proved against the run root).

A mismatch is a certain fault. Until the dispute game exists, "opening a
challenge" means: keep the evidence (step, both roots, the Merkle proof) in
SQLite for the dispute role, and log one line `challenge: task=<id> step=<t> ...`.
A missing or corrupt artifact is reported, retried on later polls, and never
stops the daemon.
"""

from __future__ import annotations

import logging
import time

from ..commit import merkle, roots
from ..runtime import executor
from ..store import StoreError
from . import attest
from .daemon import Daemon
from .registry import COMMITTED, artifact_uri, get_task
from .sampling import sample_steps
from .task import Checkpoint, Manifest, TaskSpec, data_root, decode_arrays

log = logging.getLogger("offchain.verify")


class Verifier(Daemon):
    role = "verify"
    events = ("ResultCommitted",)

    def __init__(self, settings, chain=None, backend: str = "reference"):
        super().__init__(settings, chain)
        self.backend = backend

    def on_event(self, ev) -> None:
        tid = int(ev.args["task_id"])
        if self.db.task(tid) is None:
            self.db.set_task(tid, "committed", commit_block=ev.block, run_root=ev.args["run_root"].hex())
            log.info("verify: task=%d result committed in block %d", tid, ev.block)

    def advance(self, tid: int, phase: str, data: dict) -> None:
        if attest.enabled(self.chain):  # incentive layer: commit-reveal attestations
            attest.advance(self, tid, phase, data)
            return
        if phase not in ("committed", "artifact_error"):
            return
        task = get_task(self.chain, tid)
        if task.status != COMMITTED:
            self.db.set_task(tid, "done", reason=f"status {task.status_name}")
            return
        block = self.chain.block_number()
        if block <= data["commit_block"]:
            return  # the randomness (the next block) does not exist yet
        seed_block = self.chain.block(data["commit_block"] + 1)
        steps = sample_steps(bytes(seed_block["hash"]), self.chain.address, tid, task.num_steps,
                             self.settings.samples)
        try:
            self._verify(tid, task, steps)
        except (StoreError, ValueError) as exc:
            attempts = data.get("attempts", 0) + 1
            log.error("verify: task=%d artifact problem (attempt %d): %s", tid, attempts, exc)
            self.db.set_task(tid, "artifact_error", attempts=attempts, problem=str(exc))

    def _verify(self, tid: int, task, steps: list[int]) -> None:
        started = time.time()
        spec = TaskSpec.from_bytes(self.store.get(task.spec_hash))
        _, (train,) = decode_arrays(self.store.get(spec.data))
        if data_root(train) != task.data_root:
            raise ValueError("data artifact does not match the task's data root")
        program = spec.compile(train)
        if program.root() != task.program_root:
            raise ValueError("spec does not compile to the task's program root")
        manifest = Manifest.from_bytes(self.store.get(artifact_uri(self.chain, tid)))
        if len(manifest.step_roots) != task.num_steps + 1:
            raise ValueError("manifest has the wrong number of step roots")
        tree = merkle.levels(manifest.step_roots)
        if roots.run_root(manifest.step_roots) != task.run_root:
            raise ValueError("manifest step roots do not hash to the committed run root")

        def solver_root(t: int) -> tuple[bytes, list[bytes]]:
            s, proof = manifest.step_roots[t], merkle.proof(tree, t)
            if not merkle.verify(task.run_root, s, t, proof):
                raise ValueError(f"step root {t} fails its proof against the run root")
            return s, proof

        replayed = 0
        at, state = -1, []  # the step whose (verified) state we hold
        for t in sorted(steps):
            c = manifest.nearest_checkpoint(t)
            if at < c:  # the replay so far is behind the nearest checkpoint: load it
                ck = Checkpoint.from_bytes(self.store.get(manifest.checkpoints[c]))
                if ck.step != c:
                    raise ValueError(f"checkpoint {c} holds step {ck.step}")
                ck.check(program, solver_root(c)[0])
                at, state = c, ck.state
            for u in range(at + 1, t + 1):
                outputs = executor.run_step(program, u, state, train, self.backend)
                replayed += 1
                mine = roots.step_root(outputs)
                theirs, proof = solver_root(u)
                if mine != theirs:
                    self._challenge(tid, u, mine, theirs, proof, steps, replayed, time.time() - started)
                    return
                state = executor.state_after(program, u, outputs)
                at = u
        self.db.set_task(tid, "verified", steps=steps, replayed=replayed, seconds=time.time() - started)
        log.info("verify: task=%d ok: steps %s match (%d steps replayed)", tid, steps, replayed)

    def _challenge(self, tid, step, mine, theirs, proof, steps, replayed, seconds) -> None:
        self.db.add_evidence(tid, step, "step_root", {
            "mine": mine.hex(), "theirs": theirs.hex(), "proof": [p.hex() for p in proof],
            "run_root": get_task(self.chain, tid).run_root.hex()})
        self.db.set_task(tid, "challenged", step=step, steps=steps, replayed=replayed, seconds=seconds)
        # No dispute game is deployed yet (TaskRegistry.on_dispute_opened is dispute-game only):
        # the evidence above is what the dispute role will use to open the game.
        log.warning("challenge: task=%d step=%d mine=0x%s solver=0x%s (evidence saved, proof checked)",
                    tid, step, mine.hex(), theirs.hex())
