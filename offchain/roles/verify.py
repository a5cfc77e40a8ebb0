"""The verifier daemon: after a result is committed, derive the boundaries to check
(indices i of the run tree, b(i) = min(i * c, T)) from the block after the commit,
replay, and compare each replayed boundary step root S_b(i) with the solver's
(proved against the run root).

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
from pathlib import Path

import numpy as np
from web3.logs import DISCARD

from ..chain import send_once
from ..commit import merkle, roots
from ..dispute.player import CHALLENGER
from ..dispute.run import PartyRun
from ..runtime.program import Program
from ..runtime.replay import replay_from_start
from ..store import StoreError
from . import admission, attest, availability, funds
from .daemon import Daemon
from .disputes import DisputeDesk, has_dispute_game
from .registry import COMMITTED, artifact_uri, get_task, now
from .sampling import sample_steps
from .task import (
    Checkpoint,
    Manifest,
    SpecError,
    TaskSpec,
    load_task_inputs,
)

log = logging.getLogger("offchain.verify")


class ArtifactFault(ValueError):
    """The solver's published artifacts contradict its on-chain commitment (permanent)."""


class Verifier(Daemon):
    role = "verify"
    events = ("ResultCommitted",)

    def __init__(self, settings, chain=None, backend: str | None = None):
        super().__init__(settings, chain)
        self.backend = backend or settings.backend  # one default: the settings' (fast)
        self.budget = admission.Budget(settings, self.db, self.backend)  # what a task may cost (admission.py)
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
        incentives = attest.enabled(self.chain)
        if phase in ("committed", "artifact_error") and not data.get("inputs_ok"):
            # admission prices the whole own run 0..T, not only the replay to the last sampled
            # boundary: should the check find a mismatch, the dispute needs the verifier's own
            # run root over every boundary before the window closes (soundness over liveness)
            if not self._check_inputs(tid):
                return
        if incentives:  # incentive layer: commit-reveal attestations
            attest.advance(self, tid, phase, data)
            return
        if phase not in ("committed", "artifact_error"):
            return
        task = get_task(self.chain, tid)
        if task.status != COMMITTED:
            self.db.set_task(tid, "done", reason=f"status {task.status_name}")
            return
        steps = self._samples(tid, task, data)
        if steps is None:
            return  # the randomness (the next block) does not exist yet
        if not availability.due(self.db, f"artifacts:{tid}"):
            return  # backing off after a failed fetch
        try:
            self._verify(tid, task, steps)
        except ArtifactFault as exc:  # the solver's own artifacts contradict its commitment
            self._unavailable(tid, task, str(exc))
        except (StoreError, ValueError) as exc:
            attempts = data.get("attempts", 0) + 1
            self.db.set_task(tid, "artifact_error", attempts=attempts, problem=str(exc))
            if self._give_up(tid, task, str(exc)):
                self._unavailable(tid, task, f"artifacts unavailable: {exc}")

    def _samples(self, tid: int, task, data: dict) -> list[int] | None:
        """The boundary indices i (1..n_b - 1 of the run tree, b(i) = min(i * c, T)) this
        verifier checks, drawn from the hash of the block after the commit; None until it is
        mined."""
        if self.chain.block_number() <= data["commit_block"]:
            return None
        seed_block = self.chain.block(data["commit_block"] + 1)
        n_b = len(roots.boundaries(task.num_steps, task.checkpoint_interval))
        return sample_steps(bytes(seed_block["hash"]), self.chain.address, tid, n_b - 1, self.settings.samples)

    def _give_up(self, tid: int, task, problem: str) -> bool:
        """Record a failed fetch (backoff); True once the bounded wait is over: the
        artifact_timeout setting, or half the challenge window left, whichever comes first."""
        expired = availability.failed(self.db, f"artifacts:{tid}", self.settings, problem)
        return expired or now(self.chain) >= task.challenge_deadline - task.challenge_window // 2

    def _unavailable(self, tid: int, task, reason: str) -> None:
        """The solver's artifacts cannot be obtained or checked: replay the task from its spec
        and data (in `_open`) and dispute the committed root unless the own run agrees."""
        self.db.add_evidence(tid, -1, "artifacts", {"problem": reason, "run_root": task.run_root.hex()})
        self.db.set_task(tid, "challenged", unavailable=reason)
        log.warning("challenge: task=%d artifacts: %s: replaying the task from its spec and data", tid, reason)

    def _check_inputs(self, tid: int) -> bool:
        """Whether the task's spec and data are fetched and sound (recorded once) and the task
        fits the admission budget (the whole own run 0..T in the window). A
        malformed or impossible spec is refused at once; unavailable ones after the bounded
        retries."""
        task = get_task(self.chain, tid)
        if not availability.due(self.db, f"inputs:{tid}"):
            return False
        try:
            _spec, train, program = self._inputs(task)
        except SpecError as exc:
            self._refuse(tid, str(exc))
            return False
        except StoreError as exc:
            if availability.failed(self.db, f"inputs:{tid}", self.settings, str(exc)):
                self._refuse(tid, f"spec or data unavailable: {exc}")
            return False
        if not admission.verifier_admits(self, tid, task, program, train):  # before joining or replaying
            return False
        phase = self.db.task(tid)[0]
        self.db.set_task(tid, phase, inputs_ok=True)
        return True

    def _refuse(self, tid: int, reason: str) -> None:
        reason = reason.removeprefix("task: ")
        self.db.set_task(tid, "refused", reason=reason)
        log.warning("verify: refuse task=%d: %s", tid, reason)

    def _inputs(self, task) -> tuple[TaskSpec, np.ndarray, Program]:
        """(spec, training matrix, program) of a task, each checked against the chain
        (roots, the header fixed at create_task, steps)."""
        return load_task_inputs(self.store, task, header=lambda: self._header(task.task_id))

    def _header(self, tid: int) -> int:
        return int(self.chain.call("TaskRegistry", "task_header", tid))

    def _verify(self, tid: int, task, steps: list[int]) -> None:
        """Replay from S_0, computed here from the spec, through the last sampled boundary
        (`steps` are boundary indices of the run tree), comparing every boundary step root
        with the solver's (proved against the run root). No checkpoint of the solver is
        trusted: every start state is this verifier's own."""
        started = time.time()
        _spec, train, program = self._inputs(task)
        manifest = Manifest.from_bytes(self.store.get(artifact_uri(self.chain, tid)))
        n_b = len(roots.boundaries(task.num_steps, task.checkpoint_interval))
        if len(manifest.step_roots) != n_b:
            raise ArtifactFault(f"the manifest has {len(manifest.step_roots)} step roots, not {n_b} boundaries")
        if roots.run_root(manifest.step_roots) != task.run_root:
            raise ArtifactFault("manifest step roots do not hash to the committed run root")
        # the registry proved final_model_hash = S_T (the last leaf of the run root); the
        # served final checkpoint must be the state whose node roots make up that S_T
        if manifest.step_roots[-1] != task.final_model_hash:
            raise ArtifactFault("the final model hash on chain is not S_T of the manifest")
        final = Checkpoint.from_bytes(self.store.get(manifest.final_model))
        if final.step != task.num_steps:
            raise ArtifactFault(f"the final model holds step {final.step}, not {task.num_steps}")
        try:
            final.check(program, manifest.step_roots[-1])
        except ValueError as exc:
            raise ArtifactFault(f"the final model does not match S_T: {exc}") from None
        try:  # a checkpoint at every multiple of k and at T, the sampled ones well formed
            bounds = roots.boundaries(task.num_steps, task.checkpoint_interval)
            admission.check_manifest(self.store, manifest, program, task.num_steps, task.checkpoint_interval,
                                     [bounds[i] for i in steps if 0 <= i < len(bounds)])
        except ValueError as exc:
            raise ArtifactFault(str(exc)) from None
        tree = merkle.levels(manifest.step_roots)
        last = max(steps)
        mine, bad, _ = replay_from_start(program, train, last, self.backend, manifest.step_roots,
                                         stop_at_mismatch=True, interval=task.checkpoint_interval,
                                         num_steps=task.num_steps)
        bounds = roots.boundaries(task.num_steps, task.checkpoint_interval)
        replayed = bounds[len(mine) - 1] + 1  # steps 0..b(last compared)
        if bad:
            u = bad[0]
            proof = merkle.proof(tree, u)
            if not merkle.verify(task.run_root, manifest.step_roots[u], u, proof):
                raise ArtifactFault(f"step root {u} fails its proof against the run root")
            self._challenge(tid, bounds[u], mine[u], manifest.step_roots[u], proof, steps, replayed,
                            time.time() - started)
            return
        availability.clear(self.db, f"artifacts:{tid}")
        self.db.set_task(tid, "verified", steps=steps, replayed=replayed, seconds=time.time() - started)
        log.info("verify: task=%d ok: boundaries %s match (%d steps replayed from S_0)", tid, steps, replayed)

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
        run = PartyRun(program, train, task.num_steps, self.backend, interval=spec.checkpoint_interval,
                       spill=Path(self.settings.state_dir) / "replay")  # kept states on disk
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
            rec = self.db.task(tid)[1]
            if player.run.run_root == task.run_root and (rec.get("unavailable") or rec.get("recheck")):
                self._end(tid, "verified", reason="own full replay agrees with the committed run root")
                log.warning("verify: task=%d %s: the own full replay agrees with the committed run root: "
                            "no dispute", tid, rec.get("unavailable") or rec.get("recheck"))
                return
            if player.run.run_root == task.run_root:
                self._end(tid, "missed", reason="own run agrees with the committed run root")
                log.error("verify: task=%d own run agrees with the committed run root: no dispute", tid)
                return
            game = self.chain.contract("DisputeGame").address
            bond = int(self.chain.call("Parameters", "challenger_bond"))
            if self.db.action(f"open:{tid}") is None:  # say what is missing, send nothing
                funds.require(self.chain, bond, f"post the challenger bond against task {tid}")
            send_once(self.chain, self.db, f"approve-bond:{tid}", "Token", "approve", game, bond)
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
