"""The verifier daemon: after a result is committed, derive the steps to check
from the block after the commit, fetch the nearest checkpoints, replay, and
compare each replayed S_t with the solver's (proved against the run root).

A mismatch is a certain fault: the verifier keeps the evidence (step, both
roots, the Merkle proof) in SQLite, logs `challenge: task=<id> step=<t> ...`,
computes its own honest run of the whole task, opens a dispute within the
challenge window (approving and paying the challenger bond) and plays it to
its end with the dispute `Player` (every move before its deadline, a timeout
claim when the solver stalls). Phases of a task: committed -> verified, or
committed -> challenged -> disputing -> won / lost / missed. Every
transaction goes through `send_once`, so a verifier killed mid-dispute and
restarted resumes without repeating one. A missing or corrupt artifact is
reported, retried on later polls, and never stops the daemon.

With the incentive layer (`attest`), the sampling check is the attestation;
a flagged task revealed not forced enters "challenged" with `attest=True`,
and the dispute's end (won / lost / missed) goes back to the attestation
("attest-revealed" with `dispute_end`) so the verifier still settles.
"""

from __future__ import annotations

import logging
import time

import numpy as np
from web3.logs import DISCARD

from ..chain import send_once
from ..commit import merkle, roots
from ..dispute.player import CHALLENGER
from ..dispute.run import PartyRun
from ..runtime import executor
from ..runtime.program import Program
from ..store import StoreError
from . import attest
from .daemon import Daemon
from .disputes import DisputeDesk, has_dispute_game
from .registry import COMMITTED, artifact_uri, get_task, now
from .sampling import sample_steps
from .task import Checkpoint, Manifest, TaskSpec, data_root, decode_arrays

log = logging.getLogger("offchain.verify")


class Verifier(Daemon):
    role = "verify"
    events = ("ResultCommitted",)

    def __init__(self, settings, chain=None, backend: str = "reference"):
        super().__init__(settings, chain)
        self.backend = backend
        self.desk = DisputeDesk(self.chain, self.db, CHALLENGER, self._honest_run)

    def on_event(self, ev) -> None:
        tid = int(ev.args["task_id"])
        if self.db.task(tid) is None:
            self.db.set_task(tid, "committed", commit_block=ev.block, run_root=ev.args["run_root"].hex())
            log.info("verify: task=%d result committed in block %d", tid, ev.block)

    def advance(self, tid: int, phase: str, data: dict) -> None:
        if phase == "challenged":
            self._open(tid)
            return
        if phase == "disputing":
            self._play(tid)
            return
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

    def _inputs(self, task) -> tuple[TaskSpec, np.ndarray, Program]:
        """(spec, training matrix, program) of a task, each checked against the chain."""
        spec = TaskSpec.from_bytes(self.store.get(task.spec_hash))
        _, (train,) = decode_arrays(self.store.get(spec.data))
        if data_root(train) != task.data_root:
            raise ValueError("data artifact does not match the task's data root")
        program = spec.compile(train)
        if program.root() != task.program_root:
            raise ValueError("spec does not compile to the task's program root")
        if int(self.chain.call("TaskRegistry", "task_header", task.task_id)) != program.header.encode():
            raise ValueError("the task's program header is not the compiled one")
        return spec, train, program

    def _verify(self, tid: int, task, steps: list[int]) -> None:
        started = time.time()
        _spec, train, program = self._inputs(task)
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
        log.warning("challenge: task=%d step=%d mine=0x%s solver=0x%s (evidence saved, proof checked)",
                    tid, step, mine.hex(), theirs.hex())

    # --- the dispute ----------------------------------------------------------------

    def _honest_run(self, tid: int) -> PartyRun:
        """This verifier's own run of the whole task (the challenger's commitments)."""
        task = get_task(self.chain, tid)
        spec, train, program = self._inputs(task)
        started = time.time()
        run = PartyRun(program, train, task.num_steps, self.backend, keep_every=spec.checkpoint_interval)
        log.info("verify: task=%d own run of %d steps computed in %.1fs: run root 0x%s", tid,
                 task.num_steps, time.time() - started, run.run_root.hex())
        return run

    def _find_dispute(self, tid: int) -> int | None:
        """The latest dispute this verifier opened against task `tid`, if any."""
        me = self.chain.address.lower()
        for did in range(int(self.chain.call("DisputeGame", "dispute_count")), 0, -1):
            meta = self.chain.call("DisputeGame", "meta", did)
            if int(meta[0]) == tid and meta[2].lower() == me:
                return did
        return None

    def _open(self, tid: int) -> None:
        """Open a dispute against the task (bond approved and paid) and start playing it."""
        if not has_dispute_game(self.chain):
            return  # a registry-only deployment: the evidence is all there is
        task = get_task(self.chain, tid)
        did = self._find_dispute(tid) if self.db.action(f"open:{tid}") is not None else None
        if did is None:
            if task.status != COMMITTED:
                self._end(tid, "missed", reason=f"status {task.status_name}")
                return
            if now(self.chain) > task.challenge_deadline:
                self._end(tid, "missed", reason="challenge window closed")
                log.error("verify: task=%d challenge window closed before the dispute opened", tid)
                return
            player = self.desk.player(tid)
            if player.run.run_root == task.run_root:
                self._end(tid, "missed", reason="own run agrees with the committed run root")
                log.error("verify: task=%d own run agrees with the committed run root: no dispute", tid)
                return
            game = self.chain.contract("DisputeGame").address
            bond = int(self.chain.call("Parameters", "challenger_bond"))
            send_once(self.chain, self.db, f"approve-bond:{tid}", "TestToken", "approve", game, bond)
            r = send_once(self.chain, self.db, f"open:{tid}", "DisputeGame", "open_dispute",
                          *player.open_args(tid), landed=lambda: self._find_dispute(tid) is not None)
            did = self._opened_id(r) or self._find_dispute(tid)
        self.desk.track(tid, did)
        self.db.set_task(tid, "disputing", dispute=did)
        log.warning("verify: task=%d dispute %d opened against run root 0x%s", tid, did, task.run_root.hex())
        self._play(tid)

    def _opened_id(self, r: dict) -> int | None:
        if not r.get("tx_hash"):
            return None
        rcpt = self.chain.receipt(r["tx_hash"])
        evs = self.chain.contract("DisputeGame").events.DisputeOpened().process_receipt(rcpt, errors=DISCARD)
        return int(evs[0]["args"]["dispute_id"]) if evs else None

    def _play(self, tid: int) -> None:
        for did, winner in self.desk.play(tid).items():
            phase = "won" if winner == "challenger" else "lost"
            self._end(tid, phase, winner=winner)
            log.info("verify: task=%d dispute %d %s", tid, did, phase)

    def _end(self, tid: int, phase: str, **data) -> None:
        """The dispute path ended in `phase` (won / lost / missed); a task that came from
        an attestation goes back to it to settle ("attest-revealed", `dispute_end`)."""
        rec = self.db.task(tid)
        if rec is not None and rec[1].get("attest"):
            self.db.set_task(tid, "attest-revealed", dispute_end=phase, **data)
        else:
            self.db.set_task(tid, phase, **data)
